using ConformanceRunner.Wire;
using static ConformanceRunner.Cases.Script;

namespace ConformanceRunner.Cases;

/// <summary>Section 7, close handling: what follows a close (7.1), close payload lengths (7.3), an invalid reason (7.5),
/// valid (7.7) and invalid (7.9) codes, and codes whose handling the spec leaves open (7.13, informational).</summary>
internal static class Section7
{
    private static CaseDef Closing(string id, string description, string expectation, int[] codes, bool requireClean,
        Action<ScriptedCase, TestConnection> send)
        => Case(id, description, expectation,
            (c, p) =>
            {
                c.Expect(Verdict.Ok);
                c.Close = new ExpectedClose(true, codes, requireClean);
                send(c, p);
                p.KillAfter(1);
            },
            afterGrade: WrongCodeFails, init: c => c.SuppressClose = true);

    private static void Informational(ScriptedCase c, TestConnection p, string ifOk, string ifNonStrict)
    {
        c.Result = c.Behavior == Verdict.Ok ? ifOk : c.Behavior == Verdict.NonStrict ? ifNonStrict : "The outcome is left open by the spec.";
        c.Behavior = Verdict.Informational;
        c.BehaviorClose = Verdict.Informational;
    }

    public static IEnumerable<CaseDef> Cases()
    {
        const string normal = "A clean close with 1000.";
        yield return Case("7.1.1", "A text message, then (after its echo) a close.", "The message comes back, then a clean close with 1000.",
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Text("Hello World!"));
                c.Close = ExpectedClose.NormalByMe;
                p.SendFrame(Opcode.Text, "Hello World!");
                p.KillAfter(1);
            }, afterGrade: WrongCodeFails);
        yield return Closing("7.1.2", "Two close frames in a row.", "A clean close with 1000; the second close is ignored.", new[] { 1000 }, true,
            (c, p) => { p.SendClose(1000); p.SendFrame(Opcode.Close); });
        yield return Closing("7.1.3", "A close, then a ping.", "A clean close with 1000; no pong.", new[] { 1000 }, true,
            (c, p) => { p.SendClose(1000); p.SendFrame(Opcode.Ping); });
        yield return Closing("7.1.4", "A close, then a text message.", "A clean close with 1000; the message is ignored.", new[] { 1000 }, true,
            (c, p) => { p.SendClose(1000); p.SendFrame(Opcode.Text, "Hello World!"); });
        yield return Closing("7.1.5", "A first text fragment, a close, then the final fragment.", normal, new[] { 1000 }, true,
            (c, p) => { p.SendFrame(Opcode.Text, "fragment1", fin: false); p.SendClose(1000); p.SendFrame(Opcode.Continuation, "fragment2"); });
        yield return Case("7.1.6", "A 256 KiB text message, a short text message, a close and a ping, back to back.",
            "Informational: whether the messages come back before the close depends on how the peer processes its input.",
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Text("Hello World!"));
                c.Expect(Verdict.NonStrict);
                c.Close = ExpectedClose.NormalByMe;
                p.SendFrame(Opcode.Text, "BAsd7&jh23", payloadLength: 256 * 1024);
                p.SendFrame(Opcode.Text, "Hello World!");
                p.SendClose(1000);
                p.SendFrame(Opcode.Ping);
                p.KillAfter(1);
            },
            afterGrade: (c, p) => Informational(c, p, "The messages were answered before the close.", "The close was handled before the messages were answered."),
            init: c => c.SuppressClose = true, informational: true);

        yield return Closing("7.3.1", "A close frame with an empty payload (no code).", normal, new[] { 1000 }, true, (c, p) => p.SendCloseFrame());
        yield return Closing("7.3.2", "A close frame with a 1-octet payload (malformed).", "A close with 1002, or a TCP drop.", new[] { 1002 }, false,
            (c, p) => p.SendCloseFrame(null, Bytes("a")));
        yield return Closing("7.3.3", "A close frame with code 1000 and no reason.", normal, new[] { 1000 }, true, (c, p) => p.SendClose(1000));
        yield return Closing("7.3.4", "A close frame with code 1000 and a short reason.", normal, new[] { 1000 }, true, (c, p) => p.SendClose(1000, "Hello World!"));
        yield return Closing("7.3.5", "A close frame with code 1000 and a 123-octet reason (the maximum).", normal, new[] { 1000 }, true,
            (c, p) => p.SendClose(1000, new string('*', 123)));
        yield return Closing("7.3.6", "A close frame with code 1000 and a 124-octet reason (126-octet control frame).", "A close with 1002, or a TCP drop.",
            new[] { 1002 }, false, (c, p) => p.SendCloseFrame(1000, Bytes(new string('*', 124))));
        yield return Closing("7.5.1", "A close frame with code 1000 and a reason that is not valid UTF-8.", "A close with 1002 or 1007, or a TCP drop.",
            new[] { 1002, 1007 }, false, (c, p) => p.SendCloseFrame(1000, Hex("cebae1bdb9cf83cebcceb5eda080656469746564")));

        int n = 1;
        foreach (int code in new[] { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999 })
            yield return Closing($"7.7.{n++}", $"A close with the valid code {code}.", "A clean close with 1000 or the same code.", new[] { 1000, code }, true,
                (c, p) => p.SendCloseFrame(code));
        n = 1;
        foreach (int code in new[] { 0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999 })
            yield return Closing($"7.9.{n++}", $"A close with the invalid code {code}.", "A close with 1002, or a TCP drop.", new[] { 1002 }, false,
                (c, p) => p.SendCloseFrame(code));
        n = 1;
        foreach (int code in new[] { 5000, 65535 })
            yield return Case($"7.13.{n++}", $"A close with code {code} (outside every range the spec defines).", "Informational: the spec does not say what must happen.",
                (c, p) =>
                {
                    c.Expect(Verdict.Ok);
                    c.Close = new ExpectedClose(true, new[] { 1000, code, 1002 }, false);
                    p.SendCloseFrame(code);
                    p.KillAfter(1);
                },
                afterGrade: (c, p) => Informational(c, p, "The spec leaves this open.", "The spec leaves this open."),
                init: c => c.SuppressClose = true, informational: true);
    }
}
