using ConformanceRunner.Wire;
using static ConformanceRunner.Cases.Script;

namespace ConformanceRunner.Cases;

/// <summary>Section 4, reserved opcodes: non-control 3-7 (4.1.x) and control 11-15 (4.2.x) must fail the connection.</summary>
internal static class Section4
{
    private static CaseDef Alone(string id, int opcode, string payload)
        => Case(id, $"A frame with reserved opcode {opcode}" + (payload.Length == 0 ? "." : " and a payload."),
            "The peer fails the connection (1002).",
            (c, p) =>
            {
                c.Expect(Verdict.Ok);
                c.Close = ExpectedClose.PeerFails(1002);
                p.SendFrame(opcode, payload);
                p.KillAfter(1);
            });

    private static CaseDef AfterMessage(string id, int opcode, string payload, int? chop)
        => Case(id, $"A text message, a frame with reserved opcode {opcode}, then a ping" + (chop is null ? "." : ", written one octet at a time."),
            "The first message may come back (OK) or not (NON-STRICT); the peer fails the connection (1002) and never answers the ping.",
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Text("Hello, world!"));
                c.Expect(Verdict.NonStrict);
                c.Close = ExpectedClose.PeerFails(1002);
                p.SendFrame(Opcode.Text, "Hello, world!", chopSize: chop);
                p.SendFrame(opcode, payload, chopSize: chop);
                p.SendFrame(Opcode.Ping, ReadOnlySpan<byte>.Empty, chopSize: chop);
                p.KillAfter(1);
            });

    public static IEnumerable<CaseDef> Cases()
    {
        yield return Alone("4.1.1", 3, "");
        yield return Alone("4.1.2", 4, "reserved opcode payload");
        yield return AfterMessage("4.1.3", 5, "", null);
        yield return AfterMessage("4.1.4", 6, "Hello, world!", null);
        yield return AfterMessage("4.1.5", 7, "Hello, world!", 1);
        yield return Alone("4.2.1", 11, "");
        yield return Alone("4.2.2", 12, "reserved opcode payload");
        yield return AfterMessage("4.2.3", 13, "", null);
        yield return AfterMessage("4.2.4", 14, "Hello, world!", null);
        yield return AfterMessage("4.2.5", 15, "Hello, world!", 1);
    }
}
