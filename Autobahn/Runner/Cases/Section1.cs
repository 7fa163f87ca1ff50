using ConformanceRunner.Wire;
using static ConformanceRunner.Cases.Script;

namespace ConformanceRunner.Cases;

/// <summary>Section 1, framing: text (1.1.x) and binary (1.2.x) messages of boundary lengths, echoed back.</summary>
internal static class Section1
{
    private static readonly (int Length, int? Chop, double Kill)[] Sizes =
    {
        (0, null, 1), (125, null, 1), (126, null, 1), (127, null, 1), (128, null, 1),
        (65535, null, 10), (65536, null, 10), (65536, 997, 10),
    };

    public static IEnumerable<CaseDef> Cases()
    {
        for (int binary = 0; binary < 2; binary++)
        {
            for (int i = 0; i < Sizes.Length; i++)
            {
                var (length, chop, kill) = Sizes[i];
                bool isBinary = binary == 1;
                string kind = isBinary ? "binary" : "text";
                string id = $"1.{binary + 1}.{i + 1}";
                string how = chop is null ? "" : $", written to TCP in pieces of {chop} octets";
                yield return Case(id, $"A {kind} message of {length} octets in one frame{how}.",
                    "The same message comes back; then a clean close with 1000.",
                    (c, p) =>
                    {
                        var payload = Repeat(isBinary ? (byte)0xFE : (byte)'*', length);
                        c.Expect(Verdict.Ok, Observed.Message(payload, isBinary));
                        c.Close = ExpectedClose.NormalByMe;
                        p.SendFrame(isBinary ? Opcode.Binary : Opcode.Text, payload, chopSize: chop);
                        p.KillAfter(kill);
                    });
            }
        }
    }
}
