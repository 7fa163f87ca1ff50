using ConformanceRunner.Wire;
using static ConformanceRunner.Cases.Script;

namespace ConformanceRunner.Cases;

/// <summary>
/// Section 6, UTF-8 handling: empty fragments (6.1), valid text split anywhere (6.2), invalid text (6.3),
/// fail-fast on invalid text arriving in slow pieces (6.4), and the UTF-8 decoder stress groups 6.5-6.23
/// (sequences after Markus Kuhn's UTF-8 decoder test file; valid ones must echo, invalid ones must fail with 1007).
/// </summary>
internal static class Section6
{
    private static readonly byte[] Kosme = Hex("cebae1bdb9cf83cebcceb5");

    /// <summary>The 6.5-6.23 groups, in order: (title, list of (valid, octets)).</summary>
    public static List<(string Title, List<(bool Valid, byte[] Octets)> Items)> DecoderGroups()
    {
        var groups = new List<(string, List<(bool, byte[])>)>();
        void Group(string title, params (bool, string)[] items)
            => groups.Add((title, items.Select(i => (i.Item1, Hex(i.Item2))).ToList()));

        Group("valid sequences", (true, "68656c6c6f24776f726c64"), (true, "68656c6c6fc2a2776f726c64"),
            (true, "68656c6c6fe282ac776f726c64"), (true, "68656c6c6ff0a4ada2776f726c64"), (true, "cebae1bdb9cf83cebcceb5"));
        var prefixes = new List<(bool, byte[])>();
        for (int i = 1; i <= Kosme.Length; i++) prefixes.Add((Utf8Check.IsValid(Kosme.AsSpan(0, i)), Kosme[..i]));
        groups.Add(("every prefix of a valid multi-octet string", prefixes));
        Group("first sequence of each length", (true, "00"), (true, "c280"), (true, "e0a080"), (true, "f0908080"));
        Group("first 5/6-octet sequences (beyond U+10FFFF)", (false, "f888808080"), (false, "fc8480808080"));
        Group("last sequence of each length", (true, "7f"), (true, "dfbf"), (true, "efbfbf"), (true, "f48fbfbf"));
        Group("last 4/5/6-octet sequences (beyond U+10FFFF)", (false, "f7bfbfbf"), (false, "fbbfbfbfbf"), (false, "fdbfbfbfbfbf"));
        Group("other boundaries", (true, "ed9fbf"), (true, "ee8080"), (true, "efbfbd"), (true, "f48fbfbf"), (false, "f4908080"));
        var continuation = new List<(bool, byte[])>();
        foreach (var s in new[] { "80", "bf", "80bf", "80bf80", "80bf80bf", "80bf80bf80", "80bf80bf80bf" }) continuation.Add((false, Hex(s)));
        continuation.Add((false, Enumerable.Range(0x80, 0xBF - 0x80).Select(b => (byte)b).ToArray()));
        groups.Add(("stray continuation octets", continuation));
        var lonely = new List<(bool, byte[])>();
        foreach (var (lo, hi) in new[] { (0xC0, 0xDF), (0xE0, 0xEF), (0xF0, 0xF7), (0xF8, 0xFB), (0xFC, 0xFD) })
        {
            var s = new List<byte>();
            for (int b = lo; b < hi; b++) { s.Add((byte)b); s.Add(0x20); }
            lonely.Add((false, s.ToArray()));
        }
        groups.Add(("lead octets followed by a space", lonely));
        var truncated = new[] { "c0", "e080", "f08080", "f8808080", "fc80808080", "df", "efbf", "f7bfbf", "fbbfbfbf", "fdbfbfbfbf" };
        groups.Add(("sequences missing their last octet", truncated.Select(s => (false, Hex(s))).ToList()));
        groups.Add(("all truncated sequences concatenated", new List<(bool, byte[])> { (false, Hex(string.Concat(truncated))) }));
        Group("octets that never appear", (false, "fe"), (false, "ff"), (false, "fefeffff"));
        Group("overlong '/'", (false, "c0af"), (false, "e080af"), (false, "f08080af"), (false, "f8808080af"), (false, "fc80808080af"));
        Group("largest overlongs", (false, "c1bf"), (false, "e09fbf"), (false, "f08fbfbf"), (false, "f887bfbfbf"), (false, "fc83bfbfbfbf"));
        Group("overlong NUL", (false, "c080"), (false, "e08080"), (false, "f0808080"), (false, "f880808080"), (false, "fc8080808080"));
        Group("lone UTF-16 surrogates", (false, "eda080"), (false, "edadbf"), (false, "edae80"), (false, "edafbf"), (false, "edb080"), (false, "edbe80"), (false, "edbfbf"));
        Group("paired UTF-16 surrogates", (false, "eda080edb080"), (false, "eda080edbfbf"), (false, "edadbfedb080"), (false, "edadbfedbfbf"),
            (false, "edae80edb080"), (false, "edae80edbfbf"), (false, "edafbfedb080"), (false, "edafbfedbfbf"));
        var nonChars = new List<(bool, byte[])> { (true, Hex("efbfbe")), (true, Hex("efbfbf")) };
        foreach (byte z1 in new byte[] { 0xF0, 0xF1, 0xF2, 0xF3, 0xF4 })
            foreach (byte z2 in new byte[] { 0x8F, 0x9F, 0xAF, 0xBF })
            {
                if (z1 == 0xF4 && z2 != 0x8F) continue;
                foreach (byte z3 in new byte[] { 0xBE, 0xBF })
                {
                    if (z1 == 0xF0 && z2 == 0x8F) continue; // overlong
                    nonChars.Add((true, new[] { z1, z2, (byte)0xBF, z3 }));
                }
            }
        groups.Add(("non-characters (valid UTF-8)", nonChars));
        Group("specials block", (true, "efbfb9"), (true, "efbfba"), (true, "efbfbb"), (true, "efbfbc"), (true, "efbfbd"), (true, "efbfbe"), (true, "efbfbf"));
        return groups;
    }

    private static CaseDef Frames(string id, string description, string echoed, params (int Opcode, bool Fin, byte[] Payload)[] frames)
        => Case(id, description, "The text comes back; then a clean close with 1000.",
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Text(echoed));
                c.Close = ExpectedClose.NormalByMe;
                foreach (var f in frames) p.SendFrame(f.Opcode, f.Payload, fin: f.Fin);
                p.CloseAfter(1);
            });

    private static CaseDef Whole(string id, string description, byte[] payload, int? fragmentSize)
        => Case(id, description, "The text comes back; then a clean close with 1000.",
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Message(payload, false));
                c.Close = ExpectedClose.NormalByMe;
                p.SendMessage(payload, binary: false, fragmentSize);
                p.CloseAfter(1);
            });

    /// <summary>6.4.x: three pieces one second apart; the peer must fail (1007) once the invalid piece arrives.</summary>
    private static CaseDef FailFast(string id, string description, byte[] a, byte[] b, byte[] c3, bool oneFrame)
        => Case(id, description,
            "The peer fails the connection (1007) as soon as the invalid octets arrive (OK), or only at the end of the frame or message (NON-STRICT).",
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Timeout("A"));
                c.Expect(Verdict.NonStrict, Observed.Timeout("A"), Observed.Timeout("B"));
                c.Close = ExpectedClose.PeerFailsFatal(1007);
                if (oneFrame)
                {
                    p.BeginMessage(binary: false);
                    p.BeginMessageFrame(a.Length + b.Length + c3.Length);
                    p.SendMessageFrameData(a);
                }
                else p.SendFrame(Opcode.Text, a, fin: false);
                p.ContinueLater(1, () =>
                {
                    if (p.State != ConnectionState.Open) return;
                    c.Received.Add(Observed.Timeout("A"));
                    if (oneFrame) p.SendMessageFrameData(b);
                    else p.SendFrame(Opcode.Continuation, b, fin: false);
                    p.ContinueLater(1, () =>
                    {
                        if (p.State != ConnectionState.Open) return;
                        c.Received.Add(Observed.Timeout("B"));
                        if (oneFrame) { p.SendMessageFrameData(c3); p.EndMessage(); }
                        else p.SendFrame(Opcode.Continuation, c3, fin: true);
                        p.KillAfter(1);
                    }, "B");
                }, "A");
            });

    public static IEnumerable<CaseDef> Cases()
    {
        var empty = Array.Empty<byte>();
        yield return Frames("6.1.1", "An empty text message.", "", (Opcode.Text, true, empty));
        yield return Frames("6.1.2", "A text message made of three empty fragments.", "",
            (Opcode.Text, false, empty), (Opcode.Continuation, false, empty), (Opcode.Continuation, true, empty));
        yield return Frames("6.1.3", "A text message of three fragments: empty, some text, empty.", "middle frame payload",
            (Opcode.Text, false, empty), (Opcode.Continuation, false, Bytes("middle frame payload")), (Opcode.Continuation, true, empty));

        const string mixed = "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!";
        yield return Whole("6.2.1", "Valid multi-octet UTF-8 text in one frame.", Bytes(mixed), null);
        yield return Frames("6.2.2", "Valid multi-octet UTF-8 text in two fragments split between code points.", mixed,
            (Opcode.Text, false, Bytes(mixed[..11])), (Opcode.Continuation, true, Bytes(mixed[11..])));
        yield return Whole("6.2.3", "Valid multi-octet UTF-8 text, one octet per fragment (splits inside code points).", Bytes(mixed), 1);
        yield return Whole("6.2.4", "Valid Greek text, one octet per fragment (splits inside code points).", Kosme, 1);

        var invalid = Hex("cebae1bdb9cf83cebcceb5eda080656469746564");
        foreach (var (id, fragment, how) in new[] { ("6.3.1", (int?)null, "in one frame"), ("6.3.2", (int?)1, "one octet per fragment") })
        {
            yield return Case(id, $"Text that contains a UTF-16 surrogate (invalid UTF-8), {how}.",
                "The peer fails the connection (1007).",
                (c, p) =>
                {
                    c.Expect(Verdict.Ok);
                    c.Close = ExpectedClose.PeerFailsFatal(1007);
                    p.SendMessage(invalid, binary: false, fragment);
                    p.KillAfter(1);
                });
        }

        var bad = Hex("cebae1bdb9cf83cebcceb5f4908080656469746564"); // octet 12 (0x90) makes it invalid
        yield return FailFast("6.4.1", "Three text fragments one second apart; the second one holds a code point above U+10FFFF.",
            bad[..11], bad[11..15], bad[15..], oneFrame: false);
        yield return FailFast("6.4.2", "Three text fragments one second apart; the second one is the single octet that makes the text invalid.",
            bad[..12], bad[12..13], bad[13..], oneFrame: false);
        yield return FailFast("6.4.3", "One text frame whose payload arrives in three pieces one second apart; the second piece holds a code point above U+10FFFF.",
            bad[..11], bad[11..15], bad[15..], oneFrame: true);
        yield return FailFast("6.4.4", "One text frame whose payload arrives in three pieces one second apart; the second piece is the single octet that makes the text invalid.",
            bad[..12], bad[12..13], bad[13..], oneFrame: true);

        int section = 5;
        foreach (var (title, items) in DecoderGroups())
        {
            int n = 1;
            foreach (var (valid, octets) in items)
            {
                var payload = octets;
                yield return Case($"6.{section}.{n}",
                    $"UTF-8 decoder test ({title}): a text message of 0x{Convert.ToHexStringLower(payload)}, which is {(valid ? "valid" : "invalid")}.",
                    valid ? "The text comes back; then a clean close with 1000." : "The peer fails the connection (1007).",
                    (c, p) =>
                    {
                        if (valid)
                        {
                            c.Expect(Verdict.Ok, Observed.Message(payload, false));
                            c.Close = ExpectedClose.NormalByMe;
                        }
                        else
                        {
                            c.Expect(Verdict.Ok);
                            c.Close = ExpectedClose.PeerFailsFatal(1007);
                        }
                        p.SendMessage(payload, binary: false);
                        p.KillAfter(0.5);
                    });
                n++;
            }
            section++;
        }
    }
}
