using WsCore.Framing;
using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Benchmarks;

/// <summary>In-memory transports for the Pipelines benchmarks: inline schedulers, no pause threshold.</summary>
internal static class InMemoryPipes
{
    public static readonly PipeOptions Options = new(pauseWriterThreshold: 0, resumeWriterThreshold: 0,
        readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);

    /// <summary>
    /// The stream ManagedWebSocket gets: reads come from <paramref name="input"/>'s reader, writes go to
    /// <paramref name="output"/>'s writer (either may be null: reads then end, writes are discarded). The same pipe
    /// machinery WebSocketConnection pays for, so neither engine's transport is cheaper.
    /// </summary>
    public sealed class PipeStream(Pipe? input, Pipe? output) : Stream
    {
        private readonly Stream? _read = input?.Reader.AsStream(leaveOpen: true);
        private readonly Stream? _write = output?.Writer.AsStream(leaveOpen: true);

        public override int Read(Span<byte> buffer) => _read?.Read(buffer) ?? 0;
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _read?.ReadAsync(buffer, cancellationToken) ?? new(0);
        public override void Write(ReadOnlySpan<byte> buffer) => _write?.Write(buffer);
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _write?.WriteAsync(buffer, cancellationToken) ?? default;
        public override void Flush() => _write?.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _write?.FlushAsync(cancellationToken) ?? Task.CompletedTask;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    public static T Wait<T>(ValueTask<T> pending) => pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    public static void Wait(ValueTask pending)
    {
        if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
    }
}

/// <summary>
/// Receive one message (server role, masked client frames) through <see cref="WebSocketConnection"/> over an in-memory
/// <see cref="Pipe"/>, beside ManagedWebSocket over a stream on the same kind of pipe (<see cref="PipeReader.AsStream"/>).
/// Each operation first writes the message's wire bytes into the engine's input pipe, as a socket receive would, then
/// receives the whole message with a buffer of the message's size.
/// </summary>
[MemoryDiagnoser]
public class PipelineReceiveBenchmarks
{
    private byte[] _one = [];
    private byte[] _destination = [];
    private Pipe _input = null!;
    private WebSocketConnection _connection = null!;
    private WebSocket _managed = null!;
    private Pipe _managedInput = null!;

    [Params(2, 125, 4096, 65536, 1048576)]
    public int Size { get; set; }

    [Params(MessageKind.Text, MessageKind.Binary)]
    public MessageKind Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] payload = MessageFrames.Payload(Size, Type);
        _one = MessageFrames.Build(payload, Type, 1, masked: true);
        _destination = new byte[Math.Max(Size, 16)];
        _input = new Pipe(InMemoryPipes.Options);
        var output = new Pipe(InMemoryPipes.Options);
        _connection = new WebSocketConnection(new DuplexPipe(_input.Reader, output.Writer), WebSocketRole.Server);
        _managedInput = new Pipe(InMemoryPipes.Options);
        _managed = WebSocket.CreateFromStream(new InMemoryPipes.PipeStream(_managedInput, null), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
    }

    [GlobalCleanup]
    public void Cleanup() => InMemoryPipes.Wait(_connection.DisposeAsync());

    [Benchmark]
    public int WsCore()
    {
        _input.Writer.Write(_one);
        InMemoryPipes.Wait(_input.Writer.FlushAsync());
        int total = 0;
        while (true)
        {
            ConnectionReceiveResult r = InMemoryPipes.Wait(_connection.ReceiveAsync(_destination.AsMemory(total)));
            if (r.Kind != ConnectionReceiveKind.MessageData) throw new InvalidOperationException(r.Kind.ToString());
            total += r.Count;
            if (r.EndOfMessage) return total;
        }
    }

    [Benchmark(Baseline = true)]
    public int ManagedWebSocket()
    {
        _managedInput.Writer.Write(_one);
        InMemoryPipes.Wait(_managedInput.Writer.FlushAsync());
        int total = 0;
        while (true)
        {
            ValueWebSocketReceiveResult r = InMemoryPipes.Wait(_managed.ReceiveAsync(_destination.AsMemory(total), CancellationToken.None));
            total += r.Count;
            if (r.EndOfMessage) return total;
        }
    }
}

/// <summary>
/// Send one message through <see cref="WebSocketConnection.SendAsync"/> into an in-memory <see cref="Pipe"/> that is
/// drained after each send (the flush completes at once, as on an idle socket), beside ManagedWebSocket sending into a
/// stream on the same kind of pipe (<see cref="PipeWriter.AsStream"/>), drained the same way. Client rows mask (a fresh key per frame); server rows do not.
/// </summary>
[MemoryDiagnoser]
public class PipelineSendBenchmarks
{
    private byte[] _payload = [];
    private Pipe _output = null!;
    private WebSocketConnection _connection = null!;
    private WebSocket _managed = null!;

    [Params(2, 125, 4096, 65536, 1048576)]
    public int Size { get; set; }

    [Params(WebSocketRole.Client, WebSocketRole.Server)]
    public WebSocketRole Role { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = MessageFrames.Payload(Size, MessageKind.Binary);
        var input = new Pipe(InMemoryPipes.Options);
        _output = new Pipe(InMemoryPipes.Options);
        _connection = new WebSocketConnection(new DuplexPipe(input.Reader, _output.Writer), Role);
        _managedOutput = new Pipe(InMemoryPipes.Options);
        _managed = WebSocket.CreateFromStream(new InMemoryPipes.PipeStream(null, _managedOutput), new WebSocketCreationOptions { IsServer = Role == WebSocketRole.Server, KeepAliveInterval = TimeSpan.Zero });
    }

    private Pipe _managedOutput = null!;

    [GlobalCleanup]
    public void Cleanup() => InMemoryPipes.Wait(_connection.DisposeAsync());

    [Benchmark]
    public long WsCore()
    {
        SendStatus status = InMemoryPipes.Wait(_connection.SendAsync(_payload, MessageKind.Binary));
        if (status != SendStatus.Done) throw new InvalidOperationException(status.ToString());
        _output.Reader.TryRead(out ReadResult read);
        long length = read.Buffer.Length;
        _output.Reader.AdvanceTo(read.Buffer.End);
        return length;
    }

    [Benchmark(Baseline = true)]
    public long ManagedWebSocket()
    {
        InMemoryPipes.Wait(_managed.SendAsync(_payload.AsMemory(), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None));
        _managedOutput.Reader.TryRead(out ReadResult read);
        long length = read.Buffer.Length;
        _managedOutput.Reader.AdvanceTo(read.Buffer.End);
        return length;
    }
}
