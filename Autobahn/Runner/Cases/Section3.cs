using ConformanceRunner.Wire;
using static ConformanceRunner.Cases.Script;

namespace ConformanceRunner.Cases;

/// <summary>Section 3, reserved bits: any RSV bit without a negotiated extension must fail the connection.</summary>
internal static class Section3
{
    private const string Fails = "The peer fails the connection (1002).";
    private const string EchoThenFail = "The first message may come back (OK) or not (NON-STRICT: the peer failed before answering); the peer fails the connection (1002) and never answers the ping.";

    /// <summary>A valid message, the same with RSV set, then a ping; written at once, in separate writes, or octet by octet.</summary>
    private static CaseDef EchoThenBad(string id, int rsv, bool sync, int? chop, string how)
        => Case(id, $"A text message, the same with RSV = {rsv}, then a ping{how}.", EchoThenFail,
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Text("Hello, world!"));
                c.Expect(Verdict.NonStrict);
                c.Close = ExpectedClose.PeerFails(1002);
                p.SendFrame(Opcode.Text, "Hello, world!", sync: sync, chopSize: chop);
                p.SendFrame(Opcode.Text, "Hello, world!", rsv: rsv, sync: sync, chopSize: chop);
                p.SendFrame(Opcode.Ping, ReadOnlySpan<byte>.Empty, sync: sync, chopSize: chop);
                p.KillAfter(1);
            });

    private static CaseDef Bad(string id, string description, int opcode, byte[] payload, int rsv)
        => Case(id, description, Fails,
            (c, p) =>
            {
                c.Expect(Verdict.Ok);
                c.Close = ExpectedClose.PeerFails(1002);
                p.SendFrame(opcode, payload, rsv: rsv);
                p.KillAfter(1);
            });

    public static IEnumerable<CaseDef> Cases()
    {
        yield return Bad("3.1", "A text message with RSV = 1.", Opcode.Text, Bytes("Hello, world!"), 1);
        yield return EchoThenBad("3.2", 2, false, null, "");
        yield return EchoThenBad("3.3", 3, true, null, ", each frame its own write");
        yield return EchoThenBad("3.4", 4, false, 1, ", written one octet at a time");
        yield return Bad("3.5", "A binary message with RSV = 5.", Opcode.Binary, Hex("00fffefdfcfb00ff"), 5);
        yield return Bad("3.6", "A binary message with RSV = 6.", Opcode.Binary, Bytes("Hello, world!"), 6);
        yield return Bad("3.7", "A close frame with RSV = 7.", Opcode.Close, Array.Empty<byte>(), 7);
    }
}
