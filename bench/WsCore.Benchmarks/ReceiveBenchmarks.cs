using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using WsCore.Protocol;

namespace WsCore.Benchmarks;

/// <summary>
/// Receive one message (server role: masked client frames) through the sans-I/O core, beside ManagedWebSocket reading
/// the same pre-built frames from an in-memory stream. Text rows include UTF-8 validation in both engines.
/// </summary>
[MemoryDiagnoser]
public class ReceiveBenchmarks
{
    private byte[] _wire = [];
    private byte[] _destination = [];
    private int _offset;
    private WebSocketProtocol _protocol = null!;
    private WebSocket _managed = null!;

    [Params(2, 125, 4096, 65536, 1048576)]
    public int Size { get; set; }

    [Params(MessageType.Text, MessageType.Binary)]
    public MessageType Type { get; set; }

    [Params(1, 4)]
    public int Fragments { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] payload = MessageFrames.Payload(Size, Type);
        byte[] one = MessageFrames.Build(payload, Type, Math.Min(Fragments, Size), masked: true);
        // Several copies so that the ManagedWebSocket's stream reads look like a busy connection.
        int copies = Math.Max(1, 64 * 1024 / one.Length);
        _wire = new byte[one.Length * copies];
        for (int i = 0; i < copies; i++) one.CopyTo(_wire, i * one.Length);
        _destination = new byte[Math.Max(Size, 16)];
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
