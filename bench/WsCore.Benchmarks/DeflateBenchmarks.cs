using WsCore.Framing;
using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using WsCore.Compression;
using WsCore.Protocol;

namespace WsCore.Benchmarks;

/// <summary>JSON-like text messages for the permessage-deflate benchmarks.</summary>
internal static class JsonText
{
    public static byte[] Create(int size)
    {
        var builder = new StringBuilder();
        int i = 0;
        while (builder.Length < size)
        {
            builder.Append("{\"id\":").Append(i * 7919 % 100000).Append(",\"user\":\"user").Append(i % 97)
                .Append("\",\"event\":\"").Append((i % 3) switch { 0 => "click", 1 => "scroll", _ => "keypress" })
                .Append("\",\"x\":").Append(i * 31 % 1920).Append(",\"y\":").Append(i * 17 % 1080)
                .Append(",\"ok\":").Append(i % 5 == 0 ? "false" : "true").Append("},");
            i++;
        }
        return Encoding.ASCII.GetBytes(builder.ToString(0, size));
    }
}

/// <summary>
/// permessage-deflate (RFC 7692, 15-bit windows, context takeover, zlib level 6 in both) through the engine: compress a
/// text message on send (server role) and inflate + UTF-8-validate a compressed text message on receive (server role,
/// masked client frames), beside ManagedWebSocket with <see cref="WebSocketCreationOptions.DangerousDeflateOptions"/> on
/// the same data. ManagedWebSocket sends into a stream that discards and receives from an in-memory stream of the same
/// compressed frames.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class DeflateBenchmarks
{
    private byte[] _text = [];
    private byte[] _wire = [];
    private byte[] _destination = [];
    private int _offset;
    private ArrayBufferWriter<byte> _output = null!;
    private WebSocketProtocol _sender = null!;
    private WebSocketProtocol _receiver = null!;
    private WebSocket _managedSender = null!;
    private WebSocket _managedReceiver = null!;

    [Params(125, 4096, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = JsonText.Create(Size);
        _destination = new byte[Size + 256];
        _output = new ArrayBufferWriter<byte>(Size + 1024);
        var parameters = PerMessageDeflateParameters.Default;
        _sender = new WebSocketProtocol(WebSocketRole.Server, null, parameters);
        _receiver = new WebSocketProtocol(WebSocketRole.Server, null, parameters);

        // One compressed message as a client sends it, from a fresh compressor: it refers to nothing earlier, so it
        // inflates correctly with any window the receiver already has (context takeover stays on).
        using var client = new WebSocketProtocol(WebSocketRole.Client, null, parameters);
        var one = new ArrayBufferWriter<byte>();
        client.WriteMessage(one, _text, MessageKind.Text, endOfMessage: true);
        int copies = Math.Max(1, 64 * 1024 / one.WrittenCount);
        _wire = new byte[one.WrittenCount * copies];
        for (int i = 0; i < copies; i++) one.WrittenSpan.CopyTo(_wire.AsSpan(i * one.WrittenCount));

        var deflate = new WebSocketDeflateOptions(); // 15-bit windows, context takeover both ways
        _managedSender = WebSocket.CreateFromStream(new LoopingStream([0]), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero, DangerousDeflateOptions = deflate });
        _managedReceiver = WebSocket.CreateFromStream(new LoopingStream(_wire), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero, DangerousDeflateOptions = deflate });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _receiver.Dispose();
    }

    [BenchmarkCategory("compress")]
    [Benchmark(Description = "compress: WsCore")]
    public int WsCoreCompress()
    {
        _output.ResetWrittenCount();
        _sender.WriteMessage(_output, _text, MessageKind.Text, endOfMessage: true);
        return _output.WrittenCount;
    }

    [BenchmarkCategory("compress")]
    [Benchmark(Baseline = true, Description = "compress: ManagedWebSocket")]
    public void ManagedCompress()
    {
        ValueTask pending = _managedSender.SendAsync(_text.AsMemory(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
    }

    [BenchmarkCategory("decompress")]
    [Benchmark(Description = "decompress: WsCore")]
    public int WsCoreDecompress()
    {
        int total = 0;
        byte[] wire = _wire;
        while (true)
        {
            ReceiveStatus status = _receiver.Receive(wire.AsSpan(_offset), _destination.AsSpan(total), out ReceiveResult result);
            _offset += result.BytesConsumed;
            if (_offset == wire.Length) _offset = 0;
            if (status == ReceiveStatus.MessageData)
            {
                total += result.BytesWritten;
                if (result.EndOfMessage) return total;
            }
            else if (status != ReceiveStatus.NeedMoreData)
            {
                throw new InvalidOperationException(status + " " + _receiver.Violation);
            }
        }
    }

    [BenchmarkCategory("decompress")]
    [Benchmark(Baseline = true, Description = "decompress: ManagedWebSocket")]
    public int ManagedDecompress()
    {
        int total = 0;
        while (true)
        {
            ValueTask<ValueWebSocketReceiveResult> pending = _managedReceiver.ReceiveAsync(_destination.AsMemory(total), CancellationToken.None);
            ValueWebSocketReceiveResult result = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
            total += result.Count;
            if (result.EndOfMessage) return total;
        }
    }
}
