using WsCore.Framing;
using System.Buffers;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using WsCore.Protocol;

namespace WsCore.Benchmarks;

/// <summary>
/// Send one message through the sans-I/O core into a reused buffer writer, beside ManagedWebSocket sending the same
/// message into a stream that discards it. Client rows mask (a fresh key per frame); server rows do not.
/// </summary>
[MemoryDiagnoser]
public class SendBenchmarks
{
    private byte[] _payload = [];
    private ArrayBufferWriter<byte> _output = null!;
    private WebSocketProtocol _protocol = null!;
    private WebSocket _managed = null!;

    [Params(2, 125, 4096, 65536, 1048576)]
    public int Size { get; set; }

    [Params(WebSocketRole.Client, WebSocketRole.Server)]
    public WebSocketRole Role { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = MessageFrames.Payload(Size, MessageKind.Binary);
        _output = new ArrayBufferWriter<byte>(Size + 64);
        _protocol = new WebSocketProtocol(Role);
        _managed = WebSocket.CreateFromStream(new LoopingStream([0]), new WebSocketCreationOptions { IsServer = Role == WebSocketRole.Server, KeepAliveInterval = TimeSpan.Zero });
    }

    [Benchmark]
    public int WsCore()
    {
        _output.ResetWrittenCount();
        _protocol.WriteMessage(_output, _payload, MessageKind.Binary, endOfMessage: true);
        return _output.WrittenCount;
    }

    [Benchmark(Baseline = true)]
    public void ManagedWebSocket()
    {
        ValueTask pending = _managed.SendAsync(_payload.AsMemory(), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
    }
}
