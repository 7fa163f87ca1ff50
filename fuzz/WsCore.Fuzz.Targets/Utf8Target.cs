using System.Buffers;
using System.Text;
using WsCore.Text;

namespace WsCore.Fuzz;

/// <summary>
/// <c>utf8</c>: differential test of <see cref="Utf8Validator"/> against the runtime's UTF-8 decoder. The first input
/// byte picks how the rest is split into pieces; the validator fed piece by piece must agree with
/// <see cref="System.Text.Unicode.Utf8.IsValid"/> on the whole, fail exactly on the piece holding the first byte that
/// cannot belong to valid UTF-8 (fail-fast, RFC 6455 §8.1), and report <see cref="Utf8Validator.IsInsideCodePoint"/>
/// correctly after every piece.
/// </summary>
public sealed class Utf8Target : IFuzzTarget
{
    private static readonly int[] s_maxPiece = [int.MaxValue, 1, 2, 3, 4, 5, 8, 17];

    /// <inheritdoc/>
    public string Name => "utf8";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        int maxPiece = s_maxPiece[input[0] & 7];
        var schedule = new SplitSchedule((uint)input[0] >> 3);
        ReadOnlySpan<byte> text = input.Slice(1);

        bool expectedValid = System.Text.Unicode.Utf8.IsValid(text);
        Oracle.Check(Utf8Validator.IsValid(text) == expectedValid, "Utf8Validator.IsValid disagrees with Utf8.IsValid ({0})", expectedValid);

        // Reference: code point boundaries and the first byte that cannot belong to valid UTF-8.
        bool[] boundary = new bool[text.Length + 1];
        int bad = -1; // -1: valid; text.Length: valid but ends inside a code point; otherwise the offending byte
        int i = 0;
        while (true)
        {
            boundary[i] = true;
            if (i == text.Length) break;
            OperationStatus s = Rune.DecodeFromUtf8(text.Slice(i), out _, out int n);
            if (s == OperationStatus.Done) { i += n; continue; }
            if (s == OperationStatus.NeedMoreData) { bad = text.Length; break; }
            byte lead = text[i];
            bool badLead = lead is (>= 0x80 and <= 0xC1) or >= 0xF5;
            bad = badLead ? i : i + n;
            break;
        }
        Oracle.Check(expectedValid == (bad == -1), "reference disagrees with Utf8.IsValid");

        var validator = new Utf8Validator();
        int start = 0;
        bool failed = false;
        do
        {
            int length = Math.Min(schedule.Next(Math.Min(maxPiece, text.Length + 1)), text.Length - start);
            if (maxPiece == int.MaxValue) length = text.Length - start;
            int end = start + length;
            bool last = end == text.Length;
            bool ok = validator.Validate(text.Slice(start, length), last);
            bool containsBad = bad >= 0 && bad < text.Length && bad >= start && bad < end;
            bool beforeBad = bad < 0 || end <= bad;
            if (containsBad)
            {
                Oracle.Check(!ok, "validator accepted the piece holding the first invalid byte at {0}", bad);
                failed = true;
                // Sticky: nothing after the failure may be accepted.
                if (!last)
                {
                    Oracle.Check(!validator.Validate(text.Slice(end, 1), false), "validator accepted a byte after a failure at {0}", bad);
                }
                Oracle.Check(!validator.Validate(text.Slice(end, 0), true), "validator accepted the end of a message after a failure at {0}", bad);
                break;
            }
            Oracle.Check(beforeBad, "piece past the first invalid byte was not rejected");
            bool expectedOk = !last || bad == -1;
            Oracle.Check(ok == expectedOk, "validator returned {0} before the first invalid byte", ok);
            if (ok)
            {
                Oracle.Check(validator.IsInsideCodePoint == !boundary[end], "IsInsideCodePoint wrong after {0} bytes", end);
            }
            start = end;
        }
        while (start < text.Length);
        Oracle.Check(failed || bad < 0 || bad == text.Length, "validator never failed on an invalid sequence at {0}", bad);

        // Reset forgets everything, including a failure.
        validator.Reset();
        Oracle.Check(!validator.IsInsideCodePoint && validator.Validate("ok"u8, true), "Reset did not restore a fresh validator");
    }
}
