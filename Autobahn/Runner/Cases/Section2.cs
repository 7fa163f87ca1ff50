using ConformanceRunner.Wire;
using static ConformanceRunner.Cases.Script;

namespace ConformanceRunner.Cases;

/// <summary>Section 2, pings and pongs.</summary>
internal static class Section2
{
    private static CaseDef PingEcho(string id, string description, byte[] payload, int? chop, double closeAfter)
        => Case(id, description, "A pong with the same payload answers the ping; then a clean close with 1000.",
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Pong(payload));
                c.Close = ExpectedClose.NormalByMe;
                p.SendFrame(Opcode.Ping, payload, chopSize: chop);
                p.CloseAfter(closeAfter);
            });

    private static CaseDef TenPings(string id, int? chop)
        => Case(id, "Ten pings with payloads" + (chop is null ? "." : ", written one octet at a time."),
            "Ten pongs with the same payloads, in order (the spec does not require every ping to be answered, the suite checks it); then a clean close with 1000.",
            (c, p) =>
            {
                var pongs = new List<Observed>();
                for (int i = 0; i < 10; i++)
                {
                    var payload = Bytes($"payload-{i}");
                    pongs.Add(Observed.Pong(payload));
                    p.SendFrame(Opcode.Ping, payload, chopSize: chop);
                }
                c.Expect(Verdict.Ok, pongs.ToArray());
                c.Close = ExpectedClose.NormalByMe;
                p.CloseAfter(3);
            });

    public static IEnumerable<CaseDef> Cases()
    {
        yield return PingEcho("2.1", "A ping without payload.", Array.Empty<byte>(), null, 1);
        yield return PingEcho("2.2", "A ping with a short text payload.", Bytes("Hello, world!"), null, 1);
        yield return PingEcho("2.3", "A ping with a short binary payload (not UTF-8).", Hex("00fffefdfcfb00ff"), null, 1);
        yield return PingEcho("2.4", "A ping with 125 payload octets (the maximum).", Repeat(0xFE, 125), null, 1);
        yield return Case("2.5", "A ping with 126 payload octets (one too many).",
            "The peer fails the connection (1002): control frames carry at most 125 octets.",
            (c, p) =>
            {
                c.Expect(Verdict.Ok);
                c.Close = ExpectedClose.PeerFails(1002);
                p.SendFrame(Opcode.Ping, Repeat(0xFE, 126));
                p.KillAfter(1);
            });
        yield return PingEcho("2.6", "A ping with 125 payload octets, written one octet at a time.", Repeat(0xFE, 125), 1, 2);
        foreach (var (id, payload) in new[] { ("2.7", ""), ("2.8", "unsolicited pong payload") })
        {
            yield return Case(id, payload.Length == 0 ? "An unsolicited pong without payload, then close." : "An unsolicited pong with payload, then close.",
                "Nothing comes back for the pong; a clean close with 1000.",
                (c, p) =>
                {
                    c.Expect(Verdict.Ok);
                    c.Close = ExpectedClose.NormalByMe;
                    p.SendFrame(Opcode.Pong, Bytes(payload));
                    p.SendClose(1000);
                    p.CloseAfter(1);
                });
        }
        yield return Case("2.9", "An unsolicited pong, then a ping with payload.",
            "Only the pong answering the ping comes back; then a clean close with 1000.",
            (c, p) =>
            {
                c.Expect(Verdict.Ok, Observed.Pong("ping payload"));
                c.Close = ExpectedClose.NormalByMe;
                p.SendFrame(Opcode.Pong, "unsolicited pong payload");
                p.SendFrame(Opcode.Ping, "ping payload");
                p.CloseAfter(1);
            });
        yield return TenPings("2.10", null);
        yield return TenPings("2.11", 1);
    }
}
