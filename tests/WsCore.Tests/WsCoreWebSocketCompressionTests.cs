using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Interop;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// <see cref="WsCoreWebSocket"/> with permessage-deflate (RFC 7692): created from what the handshake agreed
/// (<see cref="WsCoreWebSocket.FromHandshake(IDuplexPipe, ServerHandshakeResult, WebSocketConnectionOptions?)"/>), it
/// compresses what it sends and inflates what it receives, against the runtime's <see cref="ClientWebSocket"/> with
/// <see cref="ClientWebSocketOptions.DangerousDeflateOptions"/> and against itself.
/// </summary>
public class WsCoreWebSocketCompressionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly WebSocketConnectionOptions s_options = new()
    {
        Protocol = new WebSocketProtocolOptions { PerMessageDeflate = new PerMessageDeflateOptions { Enabled = true } },
        CloseTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Text that compresses well and is valid UTF-8.</summary>
    private static byte[] Text(int repeat) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("héllo wörld, compress me ", repeat)));

    /// <summary>A stream that counts the bytes it reads and writes (the bytes on the wire).</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _read, _written;
        public long BytesRead => Interlocked.Read(ref _read);
        public long BytesWritten => Interlocked.Read(ref _written);
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override void Write(byte[] buffer, int offset, int count)
        {
            Interlocked.Add(ref _written, count);
            inner.Write(buffer, offset, count);
        }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Add(ref _written, buffer.Length);
            return inner.WriteAsync(buffer, cancellationToken);
        }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        private int Counted(int n)
        {
            Interlocked.Add(ref _read, n);
            return n;
        }
    }

    private static async Task<(WebSocketMessageType type, byte[] data)> ReceiveMessageAsync(WebSocket ws)
    {
        byte[] buffer = new byte[16 * 1024];
        var all = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult r = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).AsTask().WaitAsync(Timeout);
            all.Write(buffer, 0, r.Count);
            if (r.MessageType == WebSocketMessageType.Close || r.EndOfMessage) return (r.MessageType, all.ToArray());
        }
    }

    /// <summary>Echoes every message through the System.Net.WebSockets API until the peer closes, then completes the close.</summary>
    private static async Task EchoAsync(WebSocket ws)
    {
        while (true)
        {
            var (type, data) = await ReceiveMessageAsync(ws);
            if (type == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(ws.CloseStatus ?? WebSocketCloseStatus.Empty, ws.CloseStatusDescription, CancellationToken.None);
                return;
            }
            await ws.SendAsync(data, type, true, CancellationToken.None);
        }
    }

    [Fact]
    public async Task ClientWebSocket_with_deflate_and_a_WsCoreWebSocket_server_negotiate_it_and_echo_compressed()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        CountingStream? wire = null;
        WsCoreWebSocket? serverSocket = null;
        Task server = Task.Run(async () =>
        {
            Socket accepted = await listener.AcceptAsync();
            wire = new CountingStream(new NetworkStream(accepted, ownsSocket: true));
            var transport = new DuplexPipe(PipeReader.Create(wire), PipeWriter.Create(wire));
            using var timeout = new CancellationTokenSource(Timeout);
            ServerHandshakeResult handshake = await PipeHandshake.AcceptAsync(transport, r => ServerHandshakeDecision.Accept(r.Subprotocols.Count > 0 ? r.Subprotocols[0] : null),
                perMessageDeflate: s_options.Protocol.PerMessageDeflate, cancellationToken: timeout.Token);
            Assert.True(handshake.IsAccepted);
            serverSocket = WsCoreWebSocket.FromHandshake(transport, handshake, s_options);
            await EchoAsync(serverSocket);
        });

        using var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        client.Options.AddSubProtocol("echo");
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        client.Options.CollectHttpResponseDetails = true;
        using (var cts = new CancellationTokenSource(Timeout)) await client.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), cts.Token);
        Assert.True(client.HttpResponseHeaders!.TryGetValue("Sec-WebSocket-Extensions", out IEnumerable<string>? extensions));
        Assert.StartsWith("permessage-deflate", string.Join(",", extensions!));
        Assert.Equal("echo", client.SubProtocol);

        await WaitUntilAsync(() => serverSocket is not null);
        Assert.True(serverSocket!.Connection.IsCompressionEnabled);
        Assert.Equal("echo", serverSocket.SubProtocol);
        long beforeRead = wire!.BytesRead, beforeWritten = wire.BytesWritten;

        byte[] text = Text(8000); // ~200 KB of repetitive text
        await client.SendAsync(text, WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Timeout);
        var (type, echoed) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(text, echoed);

        byte[] binary = new byte[50_000];
        new Random(7).NextBytes(binary.AsSpan(0, 1000)); // the rest is zeros: compressible binary
        await client.SendAsync(binary, WebSocketMessageType.Binary, true, CancellationToken.None).WaitAsync(Timeout);
        (type, echoed) = await ReceiveMessageAsync(client);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(binary, echoed);

        // Both directions went compressed: a tenth of the payload crossed the wire.
        long payload = text.Length + binary.Length;
        Assert.InRange(wire.BytesRead - beforeRead, 1, payload / 10);
        Assert.InRange(wire.BytesWritten - beforeWritten, 1, payload / 10);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(Timeout);
        await server.WaitAsync(Timeout);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, serverSocket.CloseStatus);
        serverSocket.Dispose();
        wire.Dispose();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!condition()) await Task.Delay(10, cts.Token);
    }

    [Fact]
    public async Task A_WsCoreWebSocket_client_and_server_created_from_their_handshakes_exchange_compressed_frames()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var serverPipe = new DuplexPipe(toServer.Reader, toClient.Writer);
        var clientPipe = new DuplexPipe(toClient.Reader, toServer.Writer);
        var serverOptions = s_options with
        {
            Protocol = s_options.Protocol with { PerMessageDeflate = new PerMessageDeflateOptions { Enabled = true, ServerNoContextTakeover = true } },
        };

        Task<ServerHandshakeResult> accepting = PipeHandshake.AcceptAsync(serverPipe, perMessageDeflate: serverOptions.Protocol.PerMessageDeflate).AsTask();
        ClientHandshakeResult connected = await PipeHandshake.ConnectAsync(clientPipe,
            new ClientUpgradeRequest { Host = "localhost", PerMessageDeflate = s_options.Protocol.PerMessageDeflate }).AsTask().WaitAsync(Timeout);
        ServerHandshakeResult accepted = await accepting.WaitAsync(Timeout);
        Assert.Equal(new PerMessageDeflateParameters(15, true, 15, false), connected.PerMessageDeflate);
        Assert.Equal(accepted.PerMessageDeflate, connected.PerMessageDeflate);

        using WsCoreWebSocket client = WsCoreWebSocket.FromHandshake(clientPipe, connected, s_options);
        byte[] text = Text(2000);
        await client.SendAsync(text, WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Timeout);

        // On the wire: one frame, FIN + RSV1 ("compressed", RFC 7692 §6) + text, far smaller than the message.
        ReadResult raw = await toServer.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
        byte first = raw.Buffer.FirstSpan[0];
        long length = raw.Buffer.Length;
        toServer.Reader.AdvanceTo(raw.Buffer.Start); // leave the frame for the server
        Assert.Equal(0xC1, first);
        Assert.InRange(length, 1, text.Length / 10);

        using WsCoreWebSocket server = WsCoreWebSocket.FromHandshake(serverPipe, accepted, serverOptions);
        Assert.True(server.Connection.IsCompressionEnabled);
        var (type, received) = await ReceiveMessageAsync(server);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(text, received);

        await server.SendAsync(received, WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Timeout);
        var (_, echoed) = await ReceiveMessageAsync(client);
        Assert.Equal(text, echoed);
    }

    [Fact]
    public void FromHandshake_refuses_a_handshake_that_failed()
    {
        var pipe = new DuplexPipe(new Pipe().Reader, new Pipe().Writer);
        Assert.Throws<ArgumentException>(() => WsCoreWebSocket.FromHandshake(pipe, new ClientHandshakeResult(null, HandshakeResponseError.UnexpectedStatusCode, 404)));
        Assert.Throws<ArgumentException>(() => WsCoreWebSocket.FromHandshake(pipe, new ServerHandshakeResult(null, default, null, HandshakeRequestError.InvalidKey)));
    }
}
