using ConformanceRunner.Wire;
using static ConformanceRunner.Cases.Script;

namespace ConformanceRunner.Cases;

/// <summary>Section 5, fragmentation.</summary>
internal static class Section5
{
    private readonly record struct F(int Opcode, bool Fin, string Payload);

    private static CaseDef Bad(string id, string description, F[] frames, bool sync = false, int? chop = null, int repeat = 1)
        => Case(id, description, "The peer fails the connection (1002).",
            (c, p) =>
            {
                c.Expect(Verdict.Ok);
                c.Close = ExpectedClose.PeerFails(1002);
                for (int r = 0; r < repeat; r++)
                    foreach (var f in frames) p.SendFrame(f.Opcode, f.Payload, fin: f.Fin, sync: sync, chopSize: chop);
                p.KillAfter(1);
            });

    private static CaseDef Good(string id, string description, bool withPing, bool sync, int? chop)
        => Case(id, description,
            withPing ? "The pong first, then the whole message; then a clean close with 1000." : "The whole message comes back; then a clean close with 1000.",
            (c, p) =>
            {
                if (withPing) c.Expect(Verdict.Ok, Observed.Pong("ping payload"), Observed.Text("fragment1fragment2"));
                else c.Expect(Verdict.Ok, Observed.Text("fragment1fragment2"));
                c.Close = ExpectedClose.NormalByMe;
                p.SendFrame(Opcode.Text, "fragment1", fin: false, sync: sync, chopSize: chop);
                if (withPing) p.SendFrame(Opcode.Ping, "ping payload", sync: sync, chopSize: chop);
                p.SendFrame(Opcode.Continuation, "fragment2", fin: true, sync: sync, chopSize: chop);
                p.CloseAfter(1);
            });

    private static CaseDef SlowWithPings(string id, bool sync)
        => Case(id, "A text message in five fragments with two pings among them and a one second pause in the middle" + (sync ? ", each frame its own write." : "."),
            "Both pongs as soon as each ping arrives, then the whole message; then a clean close with 1000.",
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Pong("pongme 1!"), Observed.Pong("pongme 2!"), Observed.Text("fragment1fragment2fragment3fragment4fragment5"));
                c.Close = ExpectedClose.NormalByMe;
                p.SendFrame(Opcode.Text, "fragment1", fin: false, sync: sync);
                p.SendFrame(Opcode.Continuation, "fragment2", fin: false, sync: sync);
                p.SendFrame(Opcode.Ping, "pongme 1!", sync: sync);
                p.ContinueLater(1, () =>
                {
                    p.SendFrame(Opcode.Continuation, "fragment3", fin: false, sync: sync);
                    p.SendFrame(Opcode.Continuation, "fragment4", fin: false, sync: sync);
                    p.SendFrame(Opcode.Ping, "pongme 2!", sync: sync);
                    p.SendFrame(Opcode.Continuation, "fragment5", fin: true, sync: sync);
                    p.CloseAfter(1);
                });
            });

    public static IEnumerable<CaseDef> Cases()
    {
        yield return Bad("5.1", "A ping split in two fragments.", new[] { new F(Opcode.Ping, false, "fragment1"), new F(Opcode.Continuation, true, "fragment2") });
        yield return Bad("5.2", "A pong split in two fragments.", new[] { new F(Opcode.Pong, false, "fragment1"), new F(Opcode.Continuation, true, "fragment2") });
        yield return Good("5.3", "A text message in two fragments.", false, false, null);
        yield return Good("5.4", "A text message in two fragments, each its own write.", false, true, null);
        yield return Good("5.5", "A text message in two fragments, written one octet at a time.", false, false, 1);
        yield return Good("5.6", "A text message in two fragments with a ping between them.", true, false, null);
        yield return Good("5.7", "A text message in two fragments with a ping between them, each frame its own write.", true, true, null);
        yield return Good("5.8", "A text message in two fragments with a ping between them, written one octet at a time.", true, false, 1);
        var lonelyFinal = new[] { new F(Opcode.Continuation, true, "non-continuation payload"), new F(Opcode.Text, true, "Hello, world!") };
        yield return Bad("5.9", "A final continuation frame with no message started, then a text message.", lonelyFinal);
        yield return Bad("5.10", "A final continuation frame with no message started, then a text message, each its own write.", lonelyFinal, sync: true);
        yield return Bad("5.11", "A final continuation frame with no message started, then a text message, written one octet at a time.", lonelyFinal, chop: 1);
        var lonelyFirst = new[] { new F(Opcode.Continuation, false, "non-continuation payload"), new F(Opcode.Text, true, "Hello, world!") };
        yield return Bad("5.12", "A non-final continuation frame with no message started, then a text message.", lonelyFirst);
        yield return Bad("5.13", "A non-final continuation frame with no message started, then a text message, each its own write.", lonelyFirst, sync: true);
        yield return Bad("5.14", "A non-final continuation frame with no message started, then a text message, written one octet at a time.", lonelyFirst, chop: 1);
        yield return Case("5.15", "A text message in two fragments, then a second message that starts with a continuation frame and carries a text frame inside.",
            "The first message may come back (OK) or not (NON-STRICT); the peer fails the connection (1002).",
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Text("fragment1fragment2"));
                c.Expect(Verdict.NonStrict);
                c.Close = ExpectedClose.PeerFails(1002);
                p.SendFrame(Opcode.Text, "fragment1", fin: false);
                p.SendFrame(Opcode.Continuation, "fragment2", fin: true);
                p.SendFrame(Opcode.Continuation, "fragment3", fin: false);
                p.SendFrame(Opcode.Text, "fragment4", fin: true);
                p.KillAfter(1);
            });
        yield return Bad("5.16", "Twice: a continuation frame with no message started, a non-final text frame, a final continuation frame.",
            new[] { new F(Opcode.Continuation, false, "fragment1"), new F(Opcode.Text, false, "fragment2"), new F(Opcode.Continuation, true, "fragment3") }, repeat: 2);
        yield return Bad("5.17", "Twice: a final continuation frame with no message started, a non-final text frame, a final continuation frame.",
            new[] { new F(Opcode.Continuation, true, "fragment1"), new F(Opcode.Text, false, "fragment2"), new F(Opcode.Continuation, true, "fragment3") }, repeat: 2);
        yield return Bad("5.18", "A non-final text frame followed by another text frame (not a continuation).",
            new[] { new F(Opcode.Text, false, "fragment1"), new F(Opcode.Text, true, "fragment2") });
        yield return SlowWithPings("5.19", false);
        yield return SlowWithPings("5.20", true);
    }
}
