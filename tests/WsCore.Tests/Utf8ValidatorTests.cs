using System.Text;
using System.Text.Unicode;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WsCore.Text;

namespace WsCore.Tests;

/// <summary>
/// RFC 6455 §8.1 (text must be UTF-8, RFC 3629) and the fail-fast behaviour Autobahn 6.x grades: the validator must
/// reject the piece holding the first byte after which no valid UTF-8 string can start with the bytes seen so far.
/// </summary>
public class Utf8ValidatorTests
{
    // ---- An independent reference: decode code point values and ask whether any completion is legal. ----

    /// <summary>
    /// The index of the first byte at which <paramref name="s"/>[0..index] stops being a prefix of some valid UTF-8
    /// string, or -1 if every prefix (the whole input included) can still be completed into valid UTF-8.
    /// Works on code point values (minimum per length, surrogates, U+10FFFF), not on byte ranges.
    /// </summary>
    internal static int FirstBadIndex(ReadOnlySpan<byte> s)
    {
        int pos = 0;
        while (pos < s.Length)
        {
            byte lead = s[pos];
            int length, bits;
            if ((lead & 0x80) == 0) { pos++; continue; }
            else if ((lead & 0xE0) == 0xC0) { length = 2; bits = lead & 0x1F; }
            else if ((lead & 0xF0) == 0xE0) { length = 3; bits = lead & 0x0F; }
            else if ((lead & 0xF8) == 0xF0) { length = 4; bits = lead & 0x07; }
            else return pos; // a continuation byte with no lead, or 11111xxx

            int minimum = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
            int value = bits;
            for (int k = 1; k <= length; k++)
            {
                if (k > 1)
                {
                    if (pos + k - 1 >= s.Length) return -1; // ran out: the prefix so far was completable
                    byte c = s[pos + k - 1];
                    if ((c & 0xC0) != 0x80) return pos + k - 1;
                    value = (value << 6) | (c & 0x3F);
                }
                // The values reachable by completing this sequence with any continuation bytes.
                int missing = length - k;
                int lowest = value << (6 * missing);
                int highest = lowest | ((1 << (6 * missing)) - 1);
                if (!AnyScalarValueIn(Math.Max(lowest, minimum), Math.Min(highest, 0x10FFFF))) return pos + k - 1;
            }
            pos += length;
        }
        return -1;
    }

    private static bool AnyScalarValueIn(int low, int high) => low <= high && !(low >= 0xD800 && high <= 0xDFFF);

    /// <summary>True if the input ends inside a (so far valid) code point.</summary>
    private static bool EndsInsideCodePoint(ReadOnlySpan<byte> s)
    {
        for (int back = 1; back <= Math.Min(3, s.Length); back++)
        {
            byte b = s[^back];
            if ((b & 0xC0) == 0x80) continue;
            int length = (b & 0x80) == 0 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 4;
            return back < length;
        }
        return false;
    }

    [Fact]
    public void ReferenceAgreesWithBclOnKnownCases()
    {
        Assert.Equal(-1, FirstBadIndex("κόσμε edited €𝄞"u8));
        Assert.Equal(12, FirstBadIndex([.. Kosme, 0xF4, 0x90, 0x80, 0x80]));
        Assert.Equal(1, FirstBadIndex([0xED, 0xA0, 0x80]));
        Assert.Equal(0, FirstBadIndex([0xC0, 0xAF]));
        Assert.Equal(1, FirstBadIndex([0xE0, 0x80, 0xAF]));
        Assert.Equal(1, FirstBadIndex([0xF0, 0x8F, 0xBF, 0xBF]));
        Assert.Equal(0, FirstBadIndex([0xF5]));
        Assert.Equal(-1, FirstBadIndex([0xF4, 0x8F, 0xBF]));
        Assert.True(EndsInsideCodePoint([0xF4, 0x8F, 0xBF]));
    }

    // ---- Generators biased towards interesting UTF-8. ----

    /// <summary>Bytes plus cut points splitting them into pieces (as frames and reads would).</summary>
    public sealed record Case(byte[] Bytes, int[] Cuts)
    {
        public override string ToString() => $"{Convert.ToHexString(Bytes)} cut at [{string.Join(",", Cuts)}]";
    }

    public static class Generators
    {
        private static byte[] Encode(int codePoint) => Encoding.UTF8.GetBytes(char.ConvertFromUtf32(codePoint));

        private static Gen<byte[]> Bytes(params byte[] b) => Gen.Constant(b);

        private static readonly Gen<byte> Continuation = Gen.Choose(0x80, 0xBF).Select(x => (byte)x);

        private static readonly Gen<int> ValidCodePoint = Gen.OneOf(
            Gen.Elements(0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x10FFFF, 0x3BA, 0x1D11E, 0x1F600),
            Gen.Choose(0x80, 0x7FF),
            Gen.Choose(0x800, 0xD7FF),
            Gen.Choose(0xE000, 0xFFFF),
            Gen.Choose(0x10000, 0x10FFFF));

        private static readonly Gen<byte[]> Ascii =
            Gen.Choose(1, 100).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 0x7F).Select(x => (byte)x), n));

        private static readonly Gen<byte[]> ValidRun =
            Gen.Choose(1, 40).SelectMany(n => Gen.ArrayOf(ValidCodePoint, n)).Select(cps => cps.SelectMany(Encode).ToArray());

        private static readonly Gen<byte[]> Truncated =
            ValidCodePoint.SelectMany(cp => { byte[] e = Encode(cp); return Gen.Choose(1, e.Length - 1).Select(n => e[..n]); });

        private static readonly Gen<byte[]> Surrogate =
            Gen.Choose(0xA0, 0xBF).SelectMany(b1 => Continuation.Select(b2 => new byte[] { 0xED, (byte)b1, b2 }));

        private static readonly Gen<byte[]> Overlong = Gen.OneOf(
            Continuation.Select(c => new byte[] { 0xC0, c }),
            Continuation.Select(c => new byte[] { 0xC1, c }),
            Gen.Choose(0x80, 0x9F).SelectMany(b1 => Continuation.Select(c => new byte[] { 0xE0, (byte)b1, c })),
            Gen.Choose(0x80, 0x8F).SelectMany(b1 => Continuation.Select(c => new byte[] { 0xF0, (byte)b1, c, c })));

        private static readonly Gen<byte[]> TooLarge = Gen.OneOf(
            Gen.Choose(0x90, 0xBF).SelectMany(b1 => Continuation.Select(c => new byte[] { 0xF4, (byte)b1, c, c })),
            Gen.Choose(0xF5, 0xFF).Select(b => new byte[] { (byte)b, 0x80, 0x80, 0x80 }),
            Bytes(0xF4, 0x90));

        private static readonly Gen<byte[]> Junk = Gen.OneOf(
            Gen.Choose(0, 255).Select(b => new byte[] { (byte)b }),
            Continuation.Select(c => new byte[] { c }),
            Gen.Elements<byte>(0xC0, 0xC1, 0xF5, 0xF8, 0xFC, 0xFE, 0xFF).Select(b => new byte[] { b }));

        /// <summary>Mostly valid stretches, with now and then something broken in them.</summary>
        private static readonly Gen<byte[]> Token = Gen.Frequency(
            (30, Ascii), (30, ValidRun), (6, Truncated), (3, Surrogate), (3, Overlong), (3, TooLarge), (5, Junk));

        public static readonly Gen<byte[]> Interesting =
            Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Token, n)).Select(parts => parts.SelectMany(p => p).ToArray());

        /// <summary>Same, but every token valid except possibly the last few: exercises the long vectorized stretches.</summary>
        public static readonly Gen<byte[]> MostlyValid = Gen.Frequency((8, Interesting),
            (2, Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Gen.OneOf(Ascii, ValidRun), n)).Select(parts => parts.SelectMany(p => p).ToArray())));

        public static Arbitrary<Case> Cases() =>
            MostlyValid.SelectMany(bytes =>
                Gen.Choose(0, 8).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, bytes.Length), n))
                   .Select(cuts => { Array.Sort(cuts); return new Case(bytes, cuts); }))
               .ToArbitrary();
    }

    /// <summary>Feeds <paramref name="c"/> piece by piece; returns the index of the first piece that failed (or -1) and the overall verdict.</summary>
    private static (int FailedPiece, bool Valid, int[] PieceEnds) Feed(Case c)
    {
        var validator = new Utf8Validator();
        int[] ends = [.. c.Cuts, c.Bytes.Length];
        int from = 0;
        for (int p = 0; p < ends.Length; p++)
        {
            bool last = p == ends.Length - 1;
            if (!validator.Validate(c.Bytes.AsSpan(from, ends[p] - from), last))
            {
                Assert.True(validator.HasFailed);
                // Sticky: whatever follows, a failed validator stays failed.
                Assert.False(validator.Validate("abc"u8, false));
                Assert.False(validator.Validate(default, true));
                return (p, false, ends);
            }
            from = ends[p];
        }
        Assert.False(validator.IsInsideCodePoint);
        return (-1, true, ends);
    }

    [Property(Arbitrary = [typeof(Generators)], MaxTest = 1000)]
    public void AgreesWithBclUnderAnySplit(Case c)
    {
        Assert.Equal(Utf8.IsValid(c.Bytes), Feed(c).Valid);
        Assert.Equal(Utf8.IsValid(c.Bytes), Utf8Validator.IsValid(c.Bytes));
    }

    [Property(Arbitrary = [typeof(Generators)], MaxTest = 1000)]
    public void FailsFastOnThePieceHoldingTheFirstBadByte_AndNeverBefore(Case c)
    {
        var (failedPiece, valid, ends) = Feed(c);
        int bad = FirstBadIndex(c.Bytes);
        if (bad >= 0)
        {
            int expectedPiece = 0;
            while (ends[expectedPiece] <= bad) expectedPiece++; // the piece that holds byte `bad`
            Assert.Equal(expectedPiece, failedPiece);
        }
        else
        {
            // Nothing is ever wrong before the end; only an unfinished last code point fails, on the last piece.
            bool incomplete = EndsInsideCodePoint(c.Bytes);
            Assert.Equal(!incomplete, valid);
            if (incomplete) Assert.Equal(ends.Length - 1, failedPiece);
        }
    }

    [Property(MaxTest = 300)]
    public void RandomBytesAgreeWithBclUnderAnySplit(byte[] bytes, int[] cuts)
    {
        var points = new int[cuts.Length];
        for (int i = 0; i < cuts.Length; i++) points[i] = (int)((uint)cuts[i] % (uint)(bytes.Length + 1));
        Array.Sort(points);
        var c = new Case(bytes, points);
        Assert.Equal(Utf8.IsValid(bytes), Feed(c).Valid);
        int bad = FirstBadIndex(bytes);
        if (bad >= 0)
        {
            int expectedPiece = 0;
            while (c.Cuts.Length > expectedPiece && c.Cuts[expectedPiece] <= bad) expectedPiece++;
            Assert.Equal(expectedPiece, Feed(c).FailedPiece);
        }
    }

    [Fact]
    public void LongInputsWithOneDefectAnywhere_FailOnTheRightPiece()
    {
        // Large valid inputs (ASCII, then mixed) with one defect at many positions, fed in 4 KiB and odd-sized pieces:
        // covers the vectorized middle, the carried code point and the trailing-code-point split on real sizes.
        var random = new Random(8);
        byte[] ascii = new byte[20_000];
        for (int i = 0; i < ascii.Length; i++) ascii[i] = (byte)random.Next(0x20, 0x7F);
        byte[] mixed = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("κόσμε 日本語 🎉 ascii, ", 600)));
        byte[][] defects = [[0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0x80], [0x80], [0xE2, 0x82], [0xFF]];
        foreach (byte[] text in new[] { ascii, mixed })
        foreach (int pieceSize in new[] { 4096, 1000, 17, 3 })
        for (int trial = 0; trial < 10; trial++)
        {
            int at = random.Next(text.Length);
            while (at > 0 && (text[at] & 0xC0) == 0x80) at--; // put the defect on a code point boundary
            byte[] defect = defects[random.Next(defects.Length)];
            byte[] input = [.. text.AsSpan(0, at), .. defect, .. text.AsSpan(at)];
            var cuts = new List<int>();
            for (int p = pieceSize; p < input.Length; p += pieceSize) cuts.Add(p);
            var c = new Case(input, cuts.ToArray());
            FailsFastOnThePieceHoldingTheFirstBadByte_AndNeverBefore(c);
            Assert.False(Feed(c).Valid);
        }
        foreach (byte[] text in new[] { ascii, mixed })
        {
            Assert.True(Utf8Validator.IsValid(text));
            var cuts = new List<int>();
            for (int p = 4096; p < text.Length; p += 4096) cuts.Add(p);
            Assert.True(Feed(new Case(text, cuts.ToArray())).Valid);
        }
    }

    // ---- The vectorized whole-buffer check (AVX2 lookup tables) against the BCL. ----

    [Property(Arbitrary = [typeof(Generators)], MaxTest = 500)]
    public void VectorCheckAgreesWithBcl(Case a, Case b, Case c)
    {
        // Concatenations make inputs long enough (64+ bytes) for the vector path, with defects anywhere.
        byte[] bytes = [.. a.Bytes, .. b.Bytes, .. c.Bytes];
        Assert.Equal(Utf8.IsValid(bytes), Utf8VectorCheck.IsValid(bytes));
    }

    [Fact]
    public void VectorCheckAgreesWithBcl_EverySingleByteChangeOfMixedText()
    {
        // Every position of a mixed text (1- to 4-byte characters), each replaced by bytes that matter to the
        // tables (every high/low nibble class, leads, continuations, C0/C1/E0/ED/F0/F4/F5), at several lengths so
        // the change lands in the first block, the middle, the re-checked last block and the last 3 bytes.
        byte[] text = Encoding.UTF8.GetBytes("aé€𝄞 κόσμε 日本語 한국어 🎉 plain ascii words here, Ελληνικά; \U0010FFFF end");
        byte[] replacements = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFF];
        foreach (int length in new[] { 64, 65, 95, 96, 97, text.Length })
        {
            byte[] baseline = text[..length];
            Assert.Equal(Utf8.IsValid(baseline), Utf8VectorCheck.IsValid(baseline));
            for (int at = 0; at < length; at++)
            foreach (byte r in replacements)
            {
                byte[] changed = (byte[])baseline.Clone();
                changed[at] = r;
                bool expected = Utf8.IsValid(changed);
                if (expected != Utf8VectorCheck.IsValid(changed)) Assert.Fail($"length {length}, byte {at} = {r:X2}: {Convert.ToHexString(changed)}");
            }
        }
    }

    // ---- Autobahn 6.x cases, reproduced in-process. ----

    private static readonly byte[] Kosme = Convert.FromHexString("CEBAE1BDB9CF83CEBCCEB5"); // κόσμε as Autobahn sends it (ό = U+1F79)
    private static readonly byte[] Edited = "edited"u8.ToArray();

    private static bool[] Pieces(params byte[][] pieces)
    {
        var validator = new Utf8Validator();
        var results = new bool[pieces.Length];
        for (int i = 0; i < pieces.Length; i++) results[i] = validator.Validate(pieces[i], i == pieces.Length - 1);
        return results;
    }

    [Fact]
    public void Autobahn6_3_1_SurrogateInsideOneFrame()
    {
        byte[] payload = [.. Kosme, 0xED, 0xA0, 0x80, .. Edited];
        Assert.False(Utf8Validator.IsValid(payload));
        Assert.Equal(Kosme.Length + 1, FirstBadIndex(payload));
    }

    [Fact]
    public void Autobahn6_3_2_SurrogateSentOneByteAtATime_FailsOnA0()
    {
        byte[] payload = [.. Kosme, 0xED, 0xA0, 0x80, .. Edited];
        var validator = new Utf8Validator();
        for (int i = 0; i < payload.Length; i++)
        {
            bool ok = validator.Validate(payload.AsSpan(i, 1), i == payload.Length - 1);
            Assert.Equal(i < Kosme.Length + 1, ok);
            if (!ok) break;
        }
    }

    [Fact]
    public void Autobahn6_4_1_And_6_4_3_F4_90_InTheSecondPiece()
    {
        Assert.Equal(new[] { true, false, false }, Pieces(Kosme, [0xF4, 0x90, 0x80, 0x80], Edited));
    }

    [Fact]
    public void Autobahn6_4_2_And_6_4_4_F4_AloneThen_90()
    {
        // PART1 = κόσμε F4 (still a valid prefix), PART2 = 90 (makes it invalid), PART3 = 80 80 edited.
        Assert.Equal(new[] { true, false, false }, Pieces([.. Kosme, 0xF4], [0x90], [0x80, 0x80, .. Edited]));
    }

    [Fact]
    public void Autobahn6_2_ValidUtf8SplitAtEveryPosition()
    {
        byte[] payload = "Hello-µ@ßöäüàá-UTF-8!! κόσμε 𝄞 \U0010FFFF"u8.ToArray();
        for (int a = 0; a <= payload.Length; a++)
        for (int b = a; b <= payload.Length; b++)
            Assert.Equal(new[] { true, true, true }, Pieces(payload[..a], payload[a..b], payload[b..]));
    }

    [Fact]
    public void Autobahn6_4_CompleteMessageEndingInsideACodePointIsInvalid()
    {
        Assert.Equal(new[] { true, false }, Pieces(Kosme, [0xF4, 0x8F, 0xBF]));
        Assert.Equal(new[] { true, true, false }, Pieces(Kosme, [0xE2], []));
    }

    [Theory]
    // 6.5 / 6.6: valid text, including the boundaries of each length (6.7.x, 6.22 noncharacters, 6.23).
    [InlineData("CEBAE1BDB9CF83CEBCCEB5", true)]
    [InlineData("7F", true)]
    [InlineData("C280", true)]
    [InlineData("DFBF", true)]
    [InlineData("E0A080", true)]
    [InlineData("EFBFBF", true)]
    [InlineData("F0908080", true)]
    [InlineData("F48FBFBF", true)]
    [InlineData("EFBFBE", true)]
    [InlineData("F09FBFBE", true)]
    [InlineData("EFBFBD", true)]
    // 6.6.x: κόσμε cut short.
    [InlineData("CEBAE1", false)]
    [InlineData("CEBAE1BD", false)]
    // 6.8: 5- and 6-byte forms.
    [InlineData("F888808080", false)]
    [InlineData("FC8480808080", false)]
    // 6.12 / 6.13: stray continuations and lonely starts.
    [InlineData("80", false)]
    [InlineData("BF", false)]
    [InlineData("C020", false)]
    [InlineData("E020", false)]
    // 6.14 / 6.15: last byte missing.
    [InlineData("E080", false)]
    [InlineData("F08080", false)]
    [InlineData("DF", false)]
    // 6.16: impossible bytes.
    [InlineData("FE", false)]
    [InlineData("FF", false)]
    [InlineData("FEFEFFFF", false)]
    // 6.17 / 6.18: overlong forms.
    [InlineData("C0AF", false)]
    [InlineData("E080AF", false)]
    [InlineData("F08080AF", false)]
    [InlineData("C1BF", false)]
    [InlineData("E09FBF", false)]
    [InlineData("F08FBFBF", false)]
    // 6.19 - 6.21: single and paired surrogates.
    [InlineData("EDA080", false)]
    [InlineData("EDBFBF", false)]
    [InlineData("EDA080EDB080", false)]
    // Above U+10FFFF.
    [InlineData("F4908080", false)]
    [InlineData("F5808080", false)]
    public void Autobahn6_x_Sequences(string hex, bool valid)
    {
        byte[] bytes = Convert.FromHexString(hex);
        Assert.Equal(valid, Utf8Validator.IsValid(bytes));
        Assert.Equal(valid, Utf8.IsValid(bytes));
        // Same verdict with the sequence inside a long ASCII run (vectorized middle) and one byte at a time.
        byte[] padded = [.. new byte[100].Select(_ => (byte)'a'), .. bytes, .. new byte[100].Select(_ => (byte)'z')];
        Assert.Equal(valid, Utf8Validator.IsValid(padded));
        var validator = new Utf8Validator();
        bool ok = true;
        for (int i = 0; i < bytes.Length && ok; i++) ok = validator.Validate(bytes.AsSpan(i, 1), i == bytes.Length - 1);
        Assert.Equal(valid, ok);
    }

    [Fact]
    public void ResetForgetsFailureAndPartialCodePoint()
    {
        var validator = new Utf8Validator();
        Assert.True(validator.Validate([0xE2, 0x82], false));
        Assert.True(validator.IsInsideCodePoint);
        validator.Reset();
        Assert.False(validator.IsInsideCodePoint);
        Assert.False(validator.Validate([0xFF], false));
        Assert.True(validator.HasFailed);
        validator.Reset();
        Assert.False(validator.HasFailed);
        Assert.True(validator.Validate("ok"u8, true));
    }

    [Fact]
    public void SteadyStateAllocatesNothing()
    {
        byte[] mixed = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("κόσμε 日本語 🎉 ascii, ", 500)));
        byte[] ascii = new byte[10_000];
        ascii.AsSpan().Fill((byte)'x');
        var validator = new Utf8Validator();
        for (int i = 0; i < 10; i++) { validator.Reset(); validator.Validate(mixed, true); validator.Validate(ascii, true); }

        // Up to three measured rounds: a round may see a one-off allocation the runtime makes on this thread (a tier-up
        // or on-stack-replacement transition on a loaded machine); an allocation per call shows in every round.
        bool all = true;
        long allocated = 0;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++)
            {
                validator.Reset();
                for (int p = 0; p < mixed.Length; p += 1000) all &= validator.Validate(mixed.AsSpan(p, Math.Min(1000, mixed.Length - p)), p + 1000 >= mixed.Length);
                validator.Reset();
                all &= validator.Validate(ascii, true);
                all &= Utf8Validator.IsValid(Kosme);
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0) break;
        }
        Assert.Equal(0, allocated);
        Assert.True(all);
    }
}

public class Utf8ValidatorStickyFailureTests
{
    [Fact]
    public void After_a_failure_every_call_fails_even_an_empty_piece()
    {
        var v = new WsCore.Text.Utf8Validator();
        Assert.False(v.Validate(new byte[] { 0xC0 }, endOfMessage: false));
        Assert.False(v.Validate(default, endOfMessage: false));
        Assert.False(v.Validate("a"u8, endOfMessage: false));
        Assert.False(v.Validate(default, endOfMessage: true));
        v.Reset();
        Assert.True(v.Validate(default, endOfMessage: false));
    }
}
