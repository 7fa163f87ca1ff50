using System.Text;
using System.Text.Unicode;
using BenchmarkDotNet.Attributes;
using WsCore.Text;

namespace WsCore.Benchmarks;

/// <summary>
/// RFC 6455 §8.1 UTF-8 validation of text messages: <see cref="Utf8Validator"/> over the whole message and in
/// 4 KiB pieces (as it meets a message read from the network), against the BCL's <see cref="Utf8.IsValid"/>.
/// </summary>
public class Utf8Benchmarks
{
    private const int PieceSize = 4096;
    private byte[] _text = [];

    [Params("ascii", "mixed")]
    public string Text { get; set; } = "ascii";

    [Params(125, 4096, 65536, 1048576)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string seed = Text == "ascii"
            ? "The quick brown fox jumps over the lazy dog; {\"id\":12345,\"ok\":true} "
            : "κόσμε Ελληνικά 日本語のテキスト 中文 한국어 🎉🚀 emoji, ascii; ";
        int seedBytes = Encoding.UTF8.GetByteCount(seed);
        var builder = new StringBuilder();
        for (int bytes = 0; bytes < Size + 16; bytes += seedBytes) builder.Append(seed);
        byte[] all = Encoding.UTF8.GetBytes(builder.ToString());
        // Cut at Size, then back off to a code point boundary so the message is valid UTF-8.
        int length = Size;
        while ((all[length] & 0xC0) == 0x80) length--;
        _text = all[..length];
        if (!Utf8.IsValid(_text)) throw new InvalidOperationException("benchmark text is not valid UTF-8");
    }

    [Benchmark(Baseline = true, Description = "Utf8.IsValid")]
    public bool BclIsValid() => Utf8.IsValid(_text);

    [Benchmark(Description = "Utf8Validator whole")]
    public bool Whole()
    {
        var validator = new Utf8Validator();
        return validator.Validate(_text, endOfMessage: true);
    }

    [Benchmark(Description = "Utf8Validator 4 KiB pieces")]
    public bool Pieces()
    {
        var validator = new Utf8Validator();
        ReadOnlySpan<byte> rest = _text;
        bool ok = true;
        while (rest.Length > PieceSize)
        {
            ok &= validator.Validate(rest[..PieceSize], endOfMessage: false);
            rest = rest[PieceSize..];
        }
        return ok & validator.Validate(rest, endOfMessage: true);
    }
}
