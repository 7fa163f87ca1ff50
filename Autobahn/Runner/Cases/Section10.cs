using ConformanceRunner.Wire;
using static ConformanceRunner.Cases.Script;

namespace ConformanceRunner.Cases;

/// <summary>Section 10, miscellaneous: automatic fragmentation of an outgoing message by the tester.</summary>
internal static class Section10
{
    public static IEnumerable<CaseDef> Cases()
    {
        yield return Case("10.1.1", "A 64 KiB text message that the tester splits automatically in 1300-octet frames.",
            "The message comes back whole, and 50 continuation frames plus 1 first frame were sent; then a clean close with 1000.",
            (c, p) =>
            {
                var payload = Repeat((byte)'*', 65536);
                p.AutoFragmentSize = 1300;
                c.Expect(Verdict.Ok, Observed.Message(payload, false));
                c.Close = ExpectedClose.NormalByMe;
                p.SendMessage(payload, binary: false);
                p.KillAfter(10);
            },
            afterGrade: (c, p) =>
            {
                int continuation = p.TxFrameStats.GetValueOrDefault(0), first = p.TxFrameStats.GetValueOrDefault(1);
                if (continuation != 65536 / 1300 || first != 1)
                {
                    c.Behavior = Verdict.Failed;
                    c.Result = $"Sent {first} first and {continuation} continuation frames, expected 1 and {65536 / 1300}.";
                }
            });
    }
}
