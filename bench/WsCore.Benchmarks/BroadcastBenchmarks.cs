using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using WsCore.Compression;
using WsCore.Framing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Benchmarks;

/// <summary>
/// Fan-out: one text message (JSON-like) sent to every one of <see cref="Connections"/> server connections, each over
/// its own in-memory <see cref="Pipe"/> (inline schedulers, no pause threshold), every transport drained after each
/// broadcast (the same for every row). One operation = one broadcast = <see cref="Connections"/> messages delivered
/// into the transports.
/// <list type="bullet">
/// <item><c>ManagedWebSocketLoop</c> (baseline): a loop of <c>SendAsync</c> over ManagedWebSocket
/// (<see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>, server) on a stream over the same kind of
/// pipe; with compression, <see cref="WebSocketCreationOptions.DangerousDeflateOptions"/> (15-bit windows, context
/// takeover): it compresses once per connection.</item>
/// <item><c>WsCoreSendLoop</c>: the same loop over <see cref="WebSocketConnection.SendAsync(ReadOnlyMemory{byte}, MessageKind, bool, CancellationToken)"/>
/// (frames and, with compression, compresses once per connection).</item>
/// <item><c>WsCorePrepared</c>: a new <see cref="PreparedMessage"/> per broadcast (framed once; compressed once, by the
/// first recipient) and a loop of <see cref="WebSocketConnection.SendAsync(PreparedMessage, CancellationToken)"/>.</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
public class BroadcastBenchmarks
{
    private byte[] _payload = [];
    private Pipe[] _transports = [];
    private WebSocketConnection[] _connections = [];
    private WebSocket[] _managed = [];

    [Params(100, 1000)]
    public int Connections { get; set; }

    [Params(128, 4096)]
    public int Size { get; set; }

    [Params(false, true)]
    public bool Compression { get; set; }

    private void CreateTransports()
    {
        _payload = JsonText.Create(Size);
        _transports = new Pipe[Connections];
        var options = new PipeOptions(pool: new ReusingPool(), pauseWriterThreshold: 0, resumeWriterThreshold: 0,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);
        for (int i = 0; i < Connections; i++) _transports[i] = new Pipe(options);
    }

    /// <summary>
    /// A single-threaded pool that keeps every buffer it handed out for the next rent (of at most its size). With
    /// <see cref="MemoryPool{T}.Shared"/>, a thousand pipes holding a segment each outgrow the array pool's caches
    /// and every broadcast allocates in the benchmark's transport, for every row alike (about 1.4 KB per recipient).
    /// </summary>
    private sealed class ReusingPool : MemoryPool<byte>
    {
        private readonly Stack<Owner> _free = new();

        public override int MaxBufferSize => int.MaxValue;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            int size = Math.Max(minBufferSize, 4096);
            if (_free.TryPeek(out Owner? top) && top.Length >= size) return _free.Pop();
            return new Owner(this, new byte[Math.Max(size, 16 * 1024)]);
        }

        protected override void Dispose(bool disposing) { }

        private sealed class Owner(ReusingPool pool, byte[] array) : IMemoryOwner<byte>
        {
            public int Length => array.Length;
            public Memory<byte> Memory => array;
            public void Dispose() => pool._free.Push(this);
        }
    }

    [GlobalSetup(Targets = [nameof(WsCoreSendLoop), nameof(WsCorePrepared)])]
    public void SetupWsCore()
    {
        CreateTransports();
        PerMessageDeflateParameters? deflate = Compression ? PerMessageDeflateParameters.Default : null;
        _connections = new WebSocketConnection[Connections];
        for (int i = 0; i < Connections; i++)
        {
            var input = new Pipe(InMemoryPipes.Options);
            _connections[i] = new WebSocketConnection(new DuplexPipe(input.Reader, _transports[i].Writer), WebSocketRole.Server, null, deflate);
        }
    }

    [GlobalSetup(Target = nameof(ManagedWebSocketLoop))]
    public void SetupManaged()
    {
        CreateTransports();
        _managed = new WebSocket[Connections];
        for (int i = 0; i < Connections; i++)
        {
            var options = new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero };
            if (Compression) options.DangerousDeflateOptions = new WebSocketDeflateOptions();
            _managed[i] = WebSocket.CreateFromStream(new InMemoryPipes.PipeStream(null, _transports[i]), options);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (WebSocketConnection c in _connections) InMemoryPipes.Wait(c.DisposeAsync());
        foreach (WebSocket m in _managed) m.Dispose();
    }

    /// <summary>What every row does after its sends: take what each transport holds (a socket's send would).</summary>
    private long Drain()
    {
        long total = 0;
        foreach (Pipe pipe in _transports)
        {
            pipe.Reader.TryRead(out ReadResult read);
            total += read.Buffer.Length;
            pipe.Reader.AdvanceTo(read.Buffer.End);
        }
        return total;
    }

    [Benchmark(Baseline = true)]
    public long ManagedWebSocketLoop()
    {
        foreach (WebSocket m in _managed) InMemoryPipes.Wait(m.SendAsync(_payload.AsMemory(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None));
        return Drain();
    }

    [Benchmark]
    public long WsCoreSendLoop()
    {
        foreach (WebSocketConnection c in _connections)
        {
            SendStatus status = InMemoryPipes.Wait(c.SendAsync(_payload, MessageKind.Text));
            if (status != SendStatus.Done) throw new InvalidOperationException(status.ToString());
        }
        return Drain();
    }

    [Benchmark]
    public long WsCorePrepared()
    {
        var message = new PreparedMessage(_payload, MessageKind.Text);
        foreach (WebSocketConnection c in _connections)
        {
            SendStatus status = InMemoryPipes.Wait(c.SendAsync(message));
            if (status != SendStatus.Done) throw new InvalidOperationException(status.ToString());
        }
        return Drain();
    }
}
