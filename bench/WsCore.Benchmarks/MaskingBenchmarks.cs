using BenchmarkDotNet.Attributes;
using WsCore.Framing;

namespace WsCore.Benchmarks;

/// <summary>
/// RFC 6455 §5.3 masking: in place and copy-while-unmasking, against a plain <see cref="Span{T}.CopyTo"/> of the
/// same size (the memory-bandwidth reference).
/// </summary>
public class MaskingBenchmarks
{
    private byte[] _source = [];
    private byte[] _destination = [];
    private int _offset;

    [Params(2, 125, 4096, 65536, 1048576)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _source = new byte[Size];
        _destination = new byte[Size];
        new Random(42).NextBytes(_source);
    }

    [Benchmark(Baseline = true, Description = "Span.CopyTo")]
    public void CopyTo() => _source.AsSpan().CopyTo(_destination);

    [Benchmark(Description = "Masking.Apply in place")]
    public int InPlace() => _offset = Masking.Apply(_source.AsSpan(), 0x5A3C96E1u, _offset);

    [Benchmark(Description = "Masking.Apply copy")]
    public int Copy() => _offset = Masking.Apply(_source, _destination, 0x5A3C96E1u, _offset);
}
