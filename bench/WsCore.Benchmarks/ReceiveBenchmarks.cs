using WsCore.Framing;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using WsCore.Protocol;

namespace WsCore.Benchmarks;

/// <summary>
/// Receive one message (server role: masked client frames) through the sans-I/O core, beside ManagedWebSocket reading
/// the same pre-built frames from an in-memory stream. Text rows include UTF-8 validation in both engines; their text
/// is ASCII (see <see cref="ReceiveNonAsciiTextBenchmarks"/> for text with multi-byte characters).
/// </summary>
[MemoryDiagnoser]
public class ReceiveBenchmarks : ReceiveBenchmarkBase
{
    [Params(2, 125, 4096, 65536, 1048576)]
    public int Size { get; set; }

    [Params(MessageKind.Text, MessageKind.Binary)]
    public MessageKind Type { get; set; }

    [Params(1, 4)]
    public int Fragments { get; set; }

    [GlobalSetup]
    public void Setup() => Setup(MessageFrames.Payload(Size, Type), Type, Math.Min(Fragments, Size));
}

/// <summary>
/// Text that is not all ASCII (Latin, Greek, Cyrillic, CJK and emoji mixed with ASCII, about two thirds of the
/// bytes in multi-byte characters), one frame: the UTF-8 validator's general path, where the receive path's ASCII shortcut
/// cannot apply. Same two engines and wire bytes as <see cref="ReceiveBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class ReceiveNonAsciiTextBenchmarks : ReceiveBenchmarkBase
{
    [Params(125, 4096, 65536, 1048576)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup() => Setup(MessageFrames.NonAsciiText(Size), MessageKind.Text, 1);
}

/// <summary>The two receive loops the receive benchmark classes share, over the wire bytes a derived class sets up.</summary>
public abstract class ReceiveBenchmarkBase
{
    private byte[] _wire = [];
    private byte[] _destination = [];
    private int _offset;
    private WebSocketProtocol _protocol = null!;
    private WebSocket _managed = null!;

    /// <summary>Builds the frames of <paramref name="payload"/> and both engines (server role).</summary>
    protected void Setup(byte[] payload, MessageKind type, int fragments)
    {
        byte[] one = MessageFrames.Build(payload, type, fragments, masked: true);
        // Several copies so that the ManagedWebSocket's stream reads look like a busy connection.
        int copies = Math.Max(1, 64 * 1024 / one.Length);
        _wire = new byte[one.Length * copies];
        for (int i = 0; i < copies; i++) one.CopyTo(_wire, i * one.Length);
        _destination = new byte[Math.Max(payload.Length, 16)];
        _protocol = new WebSocketProtocol(WebSocketRole.Server, new WebSocketProtocolOptions { MaxFragmentsPerMessage = int.MaxValue });
        _managed = WebSocket.CreateFromStream(new LoopingStream(_wire), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        _offset = 0;
    }

    [Benchmark]
    public int WsCore()
    {
        int total = 0;
        byte[] wire = _wire;
        while (true)
        {
            ReceiveStatus status = _protocol.Receive(wire.AsSpan(_offset), _destination.AsSpan(total), out ReceiveResult result);
            _offset += result.BytesConsumed;
            if (_offset == wire.Length) _offset = 0;
            if (status == ReceiveStatus.MessageData)
            {
                total += result.BytesWritten;
                if (result.EndOfMessage) return total;
            }
            else if (status != ReceiveStatus.NeedMoreData)
            {
                throw new InvalidOperationException(status.ToString());
            }
        }
    }

    [Benchmark(Baseline = true)]
    public int ManagedWebSocket()
    {
        int total = 0;
        while (true)
        {
            ValueTask<ValueWebSocketReceiveResult> pending = _managed.ReceiveAsync(_destination.AsMemory(total), CancellationToken.None);
            ValueWebSocketReceiveResult result = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
            total += result.Count;
            if (result.EndOfMessage) return total;
        }
    }
}
