using WsCore.Framing;
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using WsCore.Pipelines;
using WsCore.Protocol;
using Xunit.Abstractions;

namespace WsCore.Tests;

/// <summary><see cref="SocketDuplexPipe"/> over loopback TCP: many-segment sends, large receives, graceful close.</summary>
public class SocketDuplexPipeTests
{
    internal static async Task<(Socket a, Socket b)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Task connecting = client.ConnectAsync(listener.LocalEndPoint!);
        Socket accepted = await listener.AcceptAsync();
        await connecting;
        return (accepted, client);
    }

    private static byte[] Pattern(int length)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 31 + (i >> 9));
        return data;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4097)]
    [InlineData(300_000)]
    [InlineData(3_000_000)]
    public async Task Everything_written_in_many_segments_arrives_in_order_then_the_fin(int length)
    {
        var (a, b) = await ConnectedPairAsync();
        // Small segments: one flush spans many of them, so the gathering send is exercised (and past 64 segments).
        var pipe = new SocketDuplexPipe(a, outputOptions: new PipeOptions(minimumSegmentSize: 512, pauseWriterThreshold: 1 << 22, resumeWriterThreshold: 1 << 21));
        byte[] data = Pattern(length);
        var random = new Random(length);
        Task writing = Task.Run(async () =>
        {
            int position = 0;
            while (position < data.Length)
            {
                int n = Math.Min(data.Length - position, random.Next(1, 5000));
                data.AsSpan(position, n).CopyTo(pipe.Output.GetSpan(n));
                pipe.Output.Advance(n);
                position += n;
                if (random.Next(8) == 0) await pipe.Output.FlushAsync();
            }
            await pipe.Output.CompleteAsync();
        });

        var received = new MemoryStream();
        byte[] buffer = new byte[70_000];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            int n = await b.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (n == 0) break; // the FIN after everything
            received.Write(buffer, 0, n);
        }
        await writing;
        Assert.Equal(data.Length, received.Length);
        Assert.True(data.AsSpan().SequenceEqual(received.ToArray()));
        b.Dispose();
        await pipe.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_large_stream_from_the_peer_arrives_whole_in_the_input()
    {
        var (a, b) = await ConnectedPairAsync();
        await using var pipe = new SocketDuplexPipe(a);
        byte[] data = Pattern(5_000_000);
        Task sending = Task.Run(async () =>
        {
            for (int position = 0; position < data.Length;)
            {
                position += await b.SendAsync(data.AsMemory(position, Math.Min(100_000, data.Length - position)), SocketFlags.None);
            }
            b.Shutdown(SocketShutdown.Send);
        });
        var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            ReadResult r = await pipe.Input.ReadAsync(timeout.Token);
            foreach (ReadOnlyMemory<byte> m in r.Buffer) received.Write(m.Span);
            pipe.Input.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted) break;
        }
        await sending;
        Assert.True(data.AsSpan().SequenceEqual(received.ToArray()));
        b.Dispose();
    }
}

/// <summary>WebSocketConnection over <see cref="SocketDuplexPipe"/> (default options) on loopback TCP allocates nothing per message.</summary>
[Collection("Allocation")]
public class SocketDuplexPipeAllocationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(128)]
    [InlineData(16 * 1024)]
    public async Task Echo_over_loopback_tcp_allocates_nothing_per_message(int size)
    {
        var (a, b) = await SocketDuplexPipeTests.ConnectedPairAsync();
        await using var serverPipe = new SocketDuplexPipe(a);
        await using var clientPipe = new SocketDuplexPipe(b);
        await using var server = new WebSocketConnection(serverPipe, WebSocketRole.Server);
        await using var client = new WebSocketConnection(clientPipe, WebSocketRole.Client);
        byte[] message = new byte[size];
        byte[] serverBuffer = new byte[size];
        byte[] clientBuffer = new byte[size];

        // Everything inline in one async method: a nested async method would allocate its own state machine per call.
        async Task Loop(int n)
        {
            for (int i = 0; i < n; i++)
            {
                await client.SendAsync(message, MessageKind.Binary).ConfigureAwait(false);
                int s = 0;
                while (true)
                {
                    ConnectionReceiveResult r = await server.ReceiveAsync(serverBuffer.AsMemory(s)).ConfigureAwait(false);
                    if (r.Kind != ConnectionReceiveKind.MessageData) throw new InvalidOperationException(r.Kind.ToString());
                    s += r.Count;
                    if (r.EndOfMessage) break;
                }
                await server.SendAsync(serverBuffer.AsMemory(0, s), MessageKind.Binary).ConfigureAwait(false);
                int c = 0;
                while (true)
                {
                    ConnectionReceiveResult r = await client.ReceiveAsync(clientBuffer.AsMemory(c)).ConfigureAwait(false);
                    if (r.Kind != ConnectionReceiveKind.MessageData) throw new InvalidOperationException(r.Kind.ToString());
                    c += r.Count;
                    if (r.EndOfMessage) break;
                }
                if (s != size || c != size) throw new InvalidOperationException("short message");
            }
        }

        double perMessage = await Allocations.PerMessageAsync(Loop, 1000, output.WriteLine);
        Assert.True(perMessage < 1, $"{perMessage:F3} bytes per message");
    }
}

/// <summary>
/// WebSocketConnection over TLS (the transport <see cref="SocketWebSockets"/> and <see cref="SocketWebSockets.ConnectAsync"/>
/// use for wss://: an <see cref="System.Net.Security.SslStream"/> read and written through its pipes) on loopback TCP
/// allocates nothing per message; only the connect (certificate, TLS handshake, buffers) allocates.
/// </summary>
[Collection("Allocation")]
public class TlsAllocationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(128, false)]
    [InlineData(16 * 1024, false)]
    [InlineData(128, true)]
    public async Task Echo_over_tls_allocates_nothing_per_message(int size, bool compression)
    {
        var (a, b) = await SocketDuplexPipeTests.ConnectedPairAsync();
        var serverStream = new System.Net.Security.SslStream(new NetworkStream(a, ownsSocket: true));
        var clientStream = new System.Net.Security.SslStream(new NetworkStream(b, ownsSocket: true));
        await Task.WhenAll(
            serverStream.AuthenticateAsServerAsync(new System.Net.Security.SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Localhost }),
            clientStream.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = TestCertificates.AcceptLocalhost,
            })).WaitAsync(TimeSpan.FromSeconds(30));
        await using var serverPipe = new StreamTransport(serverStream, a);
        await using var clientPipe = new StreamTransport(clientStream, b);
        Compression.PerMessageDeflateParameters? deflate = compression ? Compression.PerMessageDeflateParameters.Default : null;
        var options = new WebSocketConnectionOptions
        {
            Protocol = new WebSocketProtocolOptions { PerMessageDeflate = compression ? new Compression.PerMessageDeflateOptions { Enabled = true } : Compression.PerMessageDeflateOptions.Disabled },
        };
        await using var server = new WebSocketConnection(serverPipe, WebSocketRole.Server, options, deflate);
        await using var client = new WebSocketConnection(clientPipe, WebSocketRole.Client, options, deflate);
        byte[] message = new byte[size];
        new Random(size).NextBytes(message);
        // Room past the message: with permessage-deflate the end of a message may come with a receive after its last
        // byte (the inflater reports it), which an empty destination would never get to.
        byte[] serverBuffer = new byte[size + 64];
        byte[] clientBuffer = new byte[size + 64];

        // Everything inline in one async method: a nested async method would allocate its own state machine per call.
        async Task Loop(int n)
        {
            for (int i = 0; i < n; i++)
            {
                await client.SendAsync(message, MessageKind.Binary).ConfigureAwait(false);
                int s = 0;
                while (true)
                {
                    ConnectionReceiveResult r = await server.ReceiveAsync(serverBuffer.AsMemory(s)).ConfigureAwait(false);
                    if (r.Kind != ConnectionReceiveKind.MessageData) throw new InvalidOperationException(r.Kind.ToString());
                    s += r.Count;
                    if (r.EndOfMessage) break;
                }
                await server.SendAsync(serverBuffer.AsMemory(0, s), MessageKind.Binary).ConfigureAwait(false);
                int c = 0;
                while (true)
                {
                    ConnectionReceiveResult r = await client.ReceiveAsync(clientBuffer.AsMemory(c)).ConfigureAwait(false);
                    if (r.Kind != ConnectionReceiveKind.MessageData) throw new InvalidOperationException(r.Kind.ToString());
                    c += r.Count;
                    if (r.EndOfMessage) break;
                }
                if (s != size || c != size) throw new InvalidOperationException("short message");
            }
        }

        double perMessage = await Allocations.PerMessageAsync(Loop, 1000, output.WriteLine);
        Assert.True(perMessage < 1, $"{perMessage:F3} bytes per message");
    }
}
