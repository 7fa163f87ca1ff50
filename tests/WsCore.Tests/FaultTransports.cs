using WsCore.Framing;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>The transports a <see cref="WebSocketConnection"/> runs over in the fault matrix.</summary>
public enum TransportKind
{
    /// <summary><see cref="SocketDuplexPipe"/> over loopback TCP.</summary>
    Socket,
    /// <summary><c>PipeReader.Create</c>/<c>PipeWriter.Create</c> over a <see cref="NetworkStream"/> (what Kestrel's HTTP upgrade hands out).</summary>
    NetworkStreamPipe,
    /// <summary>Kestrel's own connection pipes (a connection handler).</summary>
    KestrelConnection,
    /// <summary>ASP.NET Core's HTTP upgrade: <see cref="IHttpUpgradeFeature"/> stream, then stream pipes.</summary>
    KestrelUpgrade,
    /// <summary>Two in-memory <see cref="Pipe"/>s, wrapped so that the server's reader and writer can be made to throw.</summary>
    InMemoryPipe,
}

/// <summary>
/// The far end of a fault-matrix connection, controlled at byte level: the test decides when and how fast it reads,
/// what it writes, and how it goes away (a graceful end of output, or a reset).
/// </summary>
internal abstract class Peer : IAsyncDisposable
{
    /// <summary>Reads what the server sent; 0 at the end of the stream. Throws when the connection was reset.</summary>
    public abstract ValueTask<int> ReadAsync(Memory<byte> buffer);

    /// <summary>Writes bytes to the server.</summary>
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> data);

    /// <summary>Ends the peer's output gracefully (TCP FIN; a completed pipe).</summary>
    public abstract void CloseOutput();

    /// <summary>Goes away abruptly: a TCP reset (linger 0 + close), or both in-memory pipes completed with an error.</summary>
    public abstract void Reset();

    public abstract ValueTask DisposeAsync();
}

/// <summary>A raw client socket.</summary>
internal sealed class SocketPeer(Socket socket) : Peer
{
    public Socket Socket { get; } = socket;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer) => Socket.ReceiveAsync(buffer, SocketFlags.None);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int sent = await Socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data.Slice(sent);
        }
    }

    public override void CloseOutput()
    {
        try { Socket.Shutdown(SocketShutdown.Send); } catch (SocketException) { } catch (ObjectDisposedException) { }
    }

    public override void Reset()
    {
        try
        {
            Socket.LingerState = new LingerOption(true, 0);
            Socket.Close(); // with linger 0: RST, whatever is unread or unsent
        }
        catch (ObjectDisposedException) { }
    }

    public override ValueTask DisposeAsync()
    {
        Socket.Dispose();
        return default;
    }
}

/// <summary>The peer ends of two in-memory pipes.</summary>
internal sealed class PipePeer(PipeReader fromServer, PipeWriter toServer) : Peer
{
    private readonly Lock _lock = new();
    private bool _reading;
    private bool _reset;
    private bool _readerCompleted;
    private bool _writerCompleted;

    private static IOException ResetError() => new("Connection reset by peer (in-memory pipe).");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer)
    {
        lock (_lock)
        {
            if (_reset || _readerCompleted) throw ResetError();
            _reading = true;
        }
        ReadResult r = await fromServer.ReadAsync().ConfigureAwait(false);
        lock (_lock)
        {
            _reading = false;
            if (_reset)
            {
                fromServer.AdvanceTo(r.Buffer.Start);
                CompleteReaderLocked();
                throw ResetError();
            }
        }
        if (r.Buffer.IsEmpty && r.IsCompleted)
        {
            fromServer.AdvanceTo(r.Buffer.End);
            lock (_lock) CompleteReaderLocked(error: false);
            return 0;
        }
        int n = (int)Math.Min(buffer.Length, r.Buffer.Length);
        System.Buffers.ReadOnlySequence<byte> slice = r.Buffer.Slice(0, n);
        System.Buffers.BuffersExtensions.CopyTo(slice, buffer.Span);
        fromServer.AdvanceTo(slice.End);
        return n;
    }

    private void CompleteReaderLocked(bool error = true)
    {
        if (_readerCompleted) return;
        _readerCompleted = true;
        fromServer.Complete(error ? ResetError() : null);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data)
    {
        lock (_lock)
        {
            if (_reset || _writerCompleted) throw ResetError();
        }
        await toServer.WriteAsync(data).ConfigureAwait(false);
    }

    public override void CloseOutput()
    {
        lock (_lock)
        {
            if (_writerCompleted) return;
            _writerCompleted = true;
        }
        toServer.Complete();
    }

    /// <summary>The closest an in-memory pipe has to a reset: both directions end with an error at once.</summary>
    public override void Reset()
    {
        bool completeWriter;
        lock (_lock)
        {
            _reset = true;
            if (_reading) fromServer.CancelPendingRead(); // the read returns and completes the reader with the error
            else CompleteReaderLocked();
            completeWriter = !_writerCompleted;
            _writerCompleted = true;
        }
        if (completeWriter) toServer.Complete(ResetError());
    }

    public override ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (!_reading) CompleteReaderLocked(error: false);
        }
        CloseOutput();
        return default;
    }
}

/// <summary>A <see cref="PipeWriter"/> that fails on demand: once armed every call throws, and a flush the inner pipe holds back fails too.</summary>
internal sealed class FaultyPipeWriter(PipeWriter inner) : PipeWriter
{
    private readonly TaskCompletionSource _fault = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Arm() => _fault.TrySetResult();

    private bool Armed => _fault.Task.IsCompleted;

    private static IOException Error() => new("Injected transport write failure.");

    public override void Advance(int bytes)
    {
        if (Armed) throw Error();
        inner.Advance(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => Armed ? throw Error() : inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => Armed ? throw Error() : inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (Armed) return ValueTask.FromException<FlushResult>(Error());
        ValueTask<FlushResult> flush = inner.FlushAsync(cancellationToken);
        return flush.IsCompleted ? flush : WaitAsync(flush);
    }

    private async ValueTask<FlushResult> WaitAsync(ValueTask<FlushResult> flush)
    {
        Task<FlushResult> pending = flush.AsTask();
        if (await Task.WhenAny(pending, _fault.Task).ConfigureAwait(false) == pending) return await pending.ConfigureAwait(false);
        // Armed while the flush was held back: it fails (the inner flush is released and observed first).
        inner.CancelPendingFlush();
        try { await pending.ConfigureAwait(false); } catch (Exception) { }
        throw Error();
    }
}

/// <summary>A <see cref="PipeReader"/> that fails on demand: once armed every read throws, and a read in progress fails too.</summary>
internal sealed class FaultyPipeReader(PipeReader inner) : PipeReader
{
    private readonly TaskCompletionSource _fault = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Arm() => _fault.TrySetResult();

    private bool Armed => _fault.Task.IsCompleted;

    private static IOException Error() => new("Injected transport read failure.");

    public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override bool TryRead(out ReadResult result) => Armed ? throw Error() : inner.TryRead(out result);

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (Armed) return ValueTask.FromException<ReadResult>(Error());
        ValueTask<ReadResult> read = inner.ReadAsync(cancellationToken);
        return read.IsCompleted ? read : WaitAsync(read);
    }

    private async ValueTask<ReadResult> WaitAsync(ValueTask<ReadResult> read)
    {
        Task<ReadResult> pending = read.AsTask();
        if (await Task.WhenAny(pending, _fault.Task).ConfigureAwait(false) == pending) return await pending.ConfigureAwait(false);
        inner.CancelPendingRead();
        ReadResult r = await pending.ConfigureAwait(false);
        inner.AdvanceTo(r.Buffer.Start);
        throw Error();
    }
}

/// <summary>One connected (server connection, peer) pair, and how to break its transport.</summary>
internal sealed class FaultPair : IAsyncDisposable
{
    private readonly Func<ValueTask> _release;
    private int _released;

    public FaultPair(TransportKind kind, WebSocketConnection server, Peer peer, Action injectWriteFault, string writeFault,
        Action injectReadFault, string readFault, Func<ValueTask> release)
    {
        Kind = kind;
        Server = server;
        Peer = peer;
        InjectWriteFault = injectWriteFault;
        WriteFault = writeFault;
        InjectReadFault = injectReadFault;
        ReadFault = readFault;
        _release = release;
    }

    public TransportKind Kind { get; }
    public WebSocketConnection Server { get; }
    public Peer Peer { get; }

    /// <summary>Makes the server's transport fail on write (see <see cref="WriteFault"/> for how).</summary>
    public Action InjectWriteFault { get; }
    public string WriteFault { get; }

    /// <summary>Makes the server's transport fail on read (see <see cref="ReadFault"/> for how).</summary>
    public Action InjectReadFault { get; }
    public string ReadFault { get; }

    /// <summary>Ends the server side's host: the transport is disposed, or the Kestrel handler returns (Kestrel then closes the socket).</summary>
    public async ValueTask ReleaseHostAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        await _release().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try { await Server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); } catch (Exception) { }
        try { await ReleaseHostAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); } catch (Exception) { }
        await Peer.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// Makes connected (server <see cref="WebSocketConnection"/>, <see cref="Peer"/>) pairs over every <see cref="TransportKind"/>,
/// after the opening handshake (the matrix is about what comes after it). Socket buffers are small (16 KiB each way) so
/// that a peer that stops reading pushes back after a few tens of KiB instead of the kernel's autotuned megabytes.
/// </summary>
internal static class FaultTransports
{
    public const int SocketBufferSize = 16 * 1024;

    /// <summary>The pause threshold of every transport pipe (the default of <see cref="PipeOptions"/> and of Kestrel's response buffer).</summary>
    public const int PauseThreshold = 64 * 1024;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<FaultPair> CreateAsync(TransportKind kind, WebSocketConnectionOptions options, KestrelFaultHosts? kestrel)
    {
        switch (kind)
        {
            case TransportKind.InMemoryPipe:
                return CreateInMemory(options);
            case TransportKind.Socket:
            case TransportKind.NetworkStreamPipe:
            {
                var (server, peer) = await ConnectLoopbackAsync().ConfigureAwait(false);
                if (kind == TransportKind.Socket)
                {
                    var pipe = new SocketDuplexPipe(server);
                    var connection = new WebSocketConnection(pipe, WebSocketRole.Server, options);
                    return new FaultPair(kind, connection, new SocketPeer(peer),
                        () => ShutdownSend(server), "the server socket's sending side is shut down under the transport (send fails with EPIPE)",
                        () => new SocketPeer(peer).Reset(), "the peer resets the connection while the server is receiving (recv fails with ECONNRESET; SocketDuplexPipe ends its input)",
                        async () => await pipe.DisposeAsync().ConfigureAwait(false));
                }
                else
                {
                    var stream = new NetworkStream(server, ownsSocket: true);
                    var transport = new DuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream));
                    var connection = new WebSocketConnection(transport, WebSocketRole.Server, options);
                    return new FaultPair(kind, connection, new SocketPeer(peer),
                        () => ShutdownSend(server), "the server socket's sending side is shut down under the stream (its writes throw IOException/EPIPE)",
                        () => new SocketPeer(peer).Reset(), "the peer resets the connection while the server is receiving (the stream's read throws IOException/ECONNRESET)",
                        () => { stream.Dispose(); return default; });
                }
            }
            case TransportKind.KestrelConnection:
            case TransportKind.KestrelUpgrade:
            {
                ArgumentNullException.ThrowIfNull(kestrel);
                bool upgrade = kind == TransportKind.KestrelUpgrade;
                Socket peer = NewClientSocket();
                await peer.ConnectAsync(new IPEndPoint(IPAddress.Loopback, upgrade ? kestrel.UpgradePort : kestrel.ConnectionPort)).WaitAsync(Timeout).ConfigureAwait(false);
                if (upgrade) await UpgradeAsync(peer).ConfigureAwait(false);
                KestrelFaultHosts.Accepted accepted = await kestrel.NextAsync().WaitAsync(Timeout).ConfigureAwait(false);
                Socket? serverSocket = accepted.Socket;
                if (serverSocket is not null)
                {
                    serverSocket.SendBufferSize = SocketBufferSize;
                    serverSocket.ReceiveBufferSize = SocketBufferSize;
                }
                var connection = new WebSocketConnection(accepted.Transport, WebSocketRole.Server, options);
                return new FaultPair(kind, connection, new SocketPeer(peer),
                    () => ShutdownSend(serverSocket ?? throw new InvalidOperationException("Kestrel gave no IConnectionSocketFeature")),
                    "Kestrel's socket's sending side is shut down under its transport (its sends fail with EPIPE)",
                    () => new SocketPeer(peer).Reset(), "the peer resets the connection while the server is receiving (Kestrel's receive fails with ECONNRESET)",
                    () => { accepted.Release(); return default; });
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static FaultPair CreateInMemory(WebSocketConnectionOptions options)
    {
        var pipeOptions = new PipeOptions(pauseWriterThreshold: PauseThreshold, resumeWriterThreshold: PauseThreshold / 2, useSynchronizationContext: false);
        var toServer = new Pipe(pipeOptions);
        var toPeer = new Pipe(pipeOptions);
        var reader = new FaultyPipeReader(toServer.Reader);
        var writer = new FaultyPipeWriter(toPeer.Writer);
        var connection = new WebSocketConnection(new DuplexPipe(reader, writer), WebSocketRole.Server, options);
        return new FaultPair(TransportKind.InMemoryPipe, connection, new PipePeer(toPeer.Reader, toServer.Writer),
            writer.Arm, "the server's PipeWriter throws IOException from every call, and a flush it holds back fails with it",
            reader.Arm, "the server's PipeReader throws IOException from every read, including the one in progress",
            () => default);
    }

    private static void ShutdownSend(Socket socket)
    {
        try { socket.Shutdown(SocketShutdown.Send); } catch (SocketException) { } catch (ObjectDisposedException) { }
    }

    public static Socket NewClientSocket()
    {
        // Buffer sizes before connecting, so that the advertised window is small from the start.
        return new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveBufferSize = SocketBufferSize,
            SendBufferSize = SocketBufferSize,
        };
    }

    private static async Task<(Socket server, Socket peer)> ConnectLoopbackAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.ReceiveBufferSize = SocketBufferSize;
        listener.SendBufferSize = SocketBufferSize;
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        Socket peer = NewClientSocket();
        Task<Socket> accept = listener.AcceptAsync();
        await peer.ConnectAsync(listener.LocalEndPoint!).WaitAsync(Timeout).ConfigureAwait(false);
        Socket server = await accept.WaitAsync(Timeout).ConfigureAwait(false);
        server.SendBufferSize = SocketBufferSize;
        server.ReceiveBufferSize = SocketBufferSize;
        return (server, peer);
    }

    /// <summary>The peer's side of an HTTP/1.1 upgrade: the request, then the 101 read byte by byte (nothing after it is consumed).</summary>
    private static async Task UpgradeAsync(Socket peer)
    {
        byte[] request = Encoding.ASCII.GetBytes(
            "GET /fault HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        await new SocketPeer(peer).WriteAsync(request).ConfigureAwait(false);
        var head = new StringBuilder();
        byte[] one = new byte[1];
        using var timeout = new CancellationTokenSource(Timeout);
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            int n = await peer.ReceiveAsync(one, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            if (n == 0) throw new IOException("Kestrel closed the connection during the upgrade: " + head);
            head.Append((char)one[0]);
        }
        if (!head.ToString().StartsWith("HTTP/1.1 101", StringComparison.Ordinal)) throw new IOException("Kestrel did not upgrade: " + head);
    }
}

/// <summary>
/// A small Kestrel server on 127.0.0.1 (port from the OS): either raw connections (a connection handler on Kestrel's
/// transport pipes) or HTTP (the application sees <see cref="HttpContext"/>).
/// </summary>
internal sealed class KestrelTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelTestServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <param name="smallSocketBuffers">Accepted sockets get 16 KiB kernel buffers (set on the listening socket, which they inherit).</param>
    public static Task<KestrelTestServer> StartConnectionHandlerAsync(Func<ConnectionContext, Task> handler, bool smallSocketBuffers)
        => StartAsync(l => l.Run(handler), null, smallSocketBuffers);

    public static Task<KestrelTestServer> StartHttpAsync(RequestDelegate handler, bool smallSocketBuffers)
        => StartAsync(_ => { }, handler, smallSocketBuffers);

    private static async Task<KestrelTestServer> StartAsync(Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> listen, RequestDelegate? http, bool smallSocketBuffers)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxResponseBufferSize = FaultTransports.PauseThreshold;
            k.Limits.MinResponseDataRate = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, 0, listen);
        });
        if (smallSocketBuffers)
        {
            builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = endpoint =>
            {
                Socket s = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                s.SendBufferSize = FaultTransports.SocketBufferSize;
                s.ReceiveBufferSize = FaultTransports.SocketBufferSize;
                return s;
            });
        }
        WebApplication app = builder.Build();
        if (http is not null) app.Run(http);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new KestrelTestServer(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _app.StopAsync(cts.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// The two Kestrel servers of the fault matrix. Each accepted connection (after the HTTP upgrade, for the upgrade host)
/// is handed to the test through <see cref="NextAsync"/>, and its handler stays in until the test releases it (an
/// application's handler returns when its WebSocket is done; Kestrel then closes the connection).
/// </summary>
internal sealed class KestrelFaultHosts : IAsyncDisposable
{
    private readonly Channel<Accepted> _accepted = Channel.CreateUnbounded<Accepted>();
    private KestrelTestServer? _connection;
    private KestrelTestServer? _upgrade;

    public sealed class Accepted(IDuplexPipe transport, Socket? socket)
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public IDuplexPipe Transport { get; } = transport;
        public Socket? Socket { get; } = socket;
        public Task Released => _released.Task;
        public void Release() => _released.TrySetResult();
    }

    public int ConnectionPort => _connection!.Port;
    public int UpgradePort => _upgrade!.Port;

    public async Task StartAsync()
    {
        _connection = await KestrelTestServer.StartConnectionHandlerAsync(async context =>
        {
            var accepted = new Accepted(context.Transport, context.Features.Get<IConnectionSocketFeature>()?.Socket);
            _accepted.Writer.TryWrite(accepted);
            await accepted.Released.ConfigureAwait(false);
        }, smallSocketBuffers: true).ConfigureAwait(false);
        _upgrade = await KestrelTestServer.StartHttpAsync(async context =>
        {
            IHttpUpgradeFeature? upgrade = context.Features.Get<IHttpUpgradeFeature>();
            if (upgrade is null || !upgrade.IsUpgradableRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.Upgrade = "websocket";
            Stream stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
            var accepted = new Accepted(new DuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream)),
                context.Features.Get<IConnectionSocketFeature>()?.Socket);
            _accepted.Writer.TryWrite(accepted);
            await accepted.Released.ConfigureAwait(false);
        }, smallSocketBuffers: true).ConfigureAwait(false);
    }

    public async Task<Accepted> NextAsync() => await _accepted.Reader.ReadAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        while (_accepted.Reader.TryRead(out Accepted? a)) a.Release();
        if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
        if (_upgrade is not null) await _upgrade.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// Records what must never happen: an exception reaching <see cref="AppDomain.UnhandledException"/> (the process would
/// die) or a faulted task nobody observed (<see cref="TaskScheduler.UnobservedTaskException"/>, raised by the finalizer).
/// </summary>
internal static class ExceptionWatch
{
    private static readonly ConcurrentQueue<string> s_seen = new();
    private static int s_installed;

    public static void Install()
    {
        if (Interlocked.Exchange(ref s_installed, 1) != 0) return;
        // Garbage of earlier tests is finalized first, so that it is not blamed on the first cell.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        AppDomain.CurrentDomain.UnhandledException += (_, e) => s_seen.Enqueue("UnhandledException: " + e.ExceptionObject);
        TaskScheduler.UnobservedTaskException += (_, e) =>
        {
            s_seen.Enqueue("UnobservedTaskException: " + e.Exception);
            e.SetObserved();
        };
    }

    /// <summary>Forces the finalizer to run on every unreachable task, then asserts nothing was recorded (and clears it).</summary>
    /// <param name="context">Names the test in the message.</param>
    /// <param name="only">When set, only exceptions whose text holds it count (tests that run beside others in parallel
    /// pass the namespace they exercise, so that another test's garbage is not blamed on them).</param>
    public static void AssertNone(string context, string? only = null)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var seen = new List<string>();
        while (s_seen.TryDequeue(out string? s))
        {
            if (only is null || s.Contains(only, StringComparison.Ordinal)) seen.Add(s);
        }
        Assert.True(seen.Count == 0, $"{context}: {seen.Count} exception(s) escaped:\n" + string.Join("\n----\n", seen));
    }
}
