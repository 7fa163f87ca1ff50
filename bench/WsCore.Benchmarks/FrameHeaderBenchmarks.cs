using System.Buffers;
using BenchmarkDotNet.Attributes;
using WsCore.Framing;

namespace WsCore.Benchmarks;

/// <summary>
/// RFC 6455 §5.2 frame header decode and encode for the three length forms (7-bit, 16-bit, 64-bit), masked (a client's
/// frame) and not. ManagedWebSocket has no public header API, so these rows have no baseline.
/// </summary>
[MemoryDiagnoser]
public class FrameHeaderBenchmarks
{
    private readonly byte[] _wire = new byte[FrameHeader.MaxLength];
    private readonly byte[] _destination = new byte[FrameHeader.MaxLength];
    private FrameHeader _header;

    [Params(125, 4096, 1048576)]
    public int PayloadLength { get; set; }

    [Params(true, false)]
    public bool Masked { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _header = new FrameHeader(true, 0, WebSocketOpcode.Binary, Masked, 0x5A3C96E1u, PayloadLength);
        if (_header.TryWrite(_wire, out _) != OperationStatus.Done) throw new InvalidOperationException("header write failed");
    }

    [Benchmark(Description = "FrameHeader.TryRead")]
    public long Read()
    {
        FrameHeader.TryRead(_wire, out FrameHeader header, out int consumed);
        return header.PayloadLength + consumed;
    }

    [Benchmark(Description = "FrameHeader.TryWrite")]
    public int Write()
    {
        _header.TryWrite(_destination, out int written);
        return written;
    }
}
