using ConformanceRunner.Wire;
using static ConformanceRunner.Cases.Script;

namespace ConformanceRunner.Cases;

/// <summary>
/// Section 9, limits and performance: large messages (9.1/9.2), large fragmented messages (9.3/9.4), large messages
/// written in small pieces (9.5/9.6), and 1000 round trips of small messages (9.7/9.8). The echo must arrive before
/// the case's deadline; the wire log is switched off while the bulk moves. Durations are reported as measured.
/// </summary>
internal static class Section9
{
    /// <summary>One big message; the case passes when an echo of the right type and length arrives.</summary>
    private static CaseDef Big(string id, string description, bool binary, int length, double deadline, Action<TestConnection> send)
        => Case(id, description, $"The {(binary ? "binary" : "text")} message comes back whole within {deadline} s; then a clean close with 1000.",
            (c, p) =>
            {
                p.Log.SetEnabled(false);
                c.Close = ExpectedClose.NormalByMe;
                c.Result = $"No echo arrived within {deadline} s.";
                send(p);
                p.CloseAfter(deadline);
            },
            message: (c, p, payload, isBinary) =>
            {
                if (isBinary != binary) c.Result = $"Expected a {(binary ? "binary" : "text")} message, got the other kind.";
                else if (payload.Length != length) c.Result = $"Expected {length} octets, got {payload.Length}.";
                else { c.Behavior = Verdict.Ok; c.Result = $"Received the {length}-octet message."; }
                p.Log.SetEnabled(true);
                p.SendClose(1000);
                return true;
            });

    private static string Size(int bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";

    public static IEnumerable<CaseDef> Cases()
    {
        var sizes = new[] { 64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20 };
        double[] textDeadline = { 10, 10, 100, 100, 100, 100 };
        double[] binaryDeadline = { 10, 10, 10, 10, 100, 100 };
        for (int i = 0; i < sizes.Length; i++)
        {
            int len = sizes[i];
            yield return Big($"9.1.{i + 1}", $"A {Size(len)} text message in one frame.", false, len, textDeadline[i],
                p => p.SendFrame(Opcode.Text, "BAsd7&jh23", payloadLength: len));
        }
        for (int i = 0; i < sizes.Length; i++)
        {
            int len = sizes[i];
            yield return Big($"9.2.{i + 1}", $"A {Size(len)} binary message in one frame.", true, len, binaryDeadline[i],
                p => p.SendFrame(Opcode.Binary, Hex("00fe23faf0"), payloadLength: len));
        }
        var fragments = new[] { 64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20 };
        for (int binary = 0; binary < 2; binary++)
        {
            for (int i = 0; i < fragments.Length; i++)
            {
                int frag = fragments[i];
                bool isBinary = binary == 1;
                // wstest sends 0xFE octets only in 9.4.1 and '*' everywhere else (its payload is the same text for the other 9.4 cases)
                byte fill = isBinary && i == 0 ? (byte)0xFE : (byte)'*';
                yield return Big($"9.{3 + binary}.{i + 1}", $"A 4 MiB {(isBinary ? "binary" : "text")} message in fragments of {(frag < 1024 ? frag + " octets" : Size(frag))}.",
                    isBinary, 4 << 20, 100, p => p.SendMessage(Repeat(fill, 4 << 20), isBinary, frag));
            }
        }
        var chops = new[] { 64, 128, 256, 512, 1024, 2048 };
        for (int binary = 0; binary < 2; binary++)
        {
            for (int i = 0; i < chops.Length; i++)
            {
                int chop = chops[i];
                bool isBinary = binary == 1;
                yield return Big($"9.{5 + binary}.{i + 1}", $"A 1 MiB {(isBinary ? "binary" : "text")} message in one frame, written to TCP in pieces of {chop} octets.",
                    isBinary, 1 << 20, 1000,
                    p => p.SendFrame(isBinary ? Opcode.Binary : Opcode.Text, isBinary ? Hex("00fe23faf0") : Bytes("BAsd7&jh23"), payloadLength: 1 << 20, chopSize: chop));
            }
        }
        var rtt = new[] { (0, 60.0), (16, 60.0), (64, 60.0), (256, 120.0), (1024, 240.0), (4096, 480.0) };
        for (int binary = 0; binary < 2; binary++)
        {
            for (int i = 0; i < rtt.Length; i++)
            {
                var (len, deadline) = rtt[i];
                bool isBinary = binary == 1;
                yield return RoundTrips($"9.{7 + binary}.{i + 1}", isBinary, len, 1000, deadline);
            }
        }
    }

    private static CaseDef RoundTrips(string id, bool binary, int length, int count, double deadline)
    {
        void SendOne(ScriptedCase c, TestConnection p)
        {
            if (binary) p.SendFrame(Opcode.Binary, new byte[] { 0xFE }, payloadLength: length);
            else p.SendFrame(Opcode.Text, "*", payloadLength: length);
            c.Counter++;
        }
        return Case(id, $"{count} {(binary ? "binary" : "text")} messages of {length} octets, each sent when the previous echo arrived (round-trip time).",
            $"Every message comes back with the same type and length within {deadline} s; then a clean close with 1000.",
            (c, p) =>
            {
                p.Log.SetEnabled(false);
                c.Close = ExpectedClose.NormalByMe;
                c.Result = $"The case did not finish within {deadline} s.";
                p.CloseAfter(deadline);
                SendOne(c, p);
            },
            message: (c, p, payload, isBinary) =>
            {
                if (isBinary != binary || payload.Length != length)
                {
                    c.Behavior = Verdict.Failed;
                    c.Result = $"An echo differs from what was sent (binary = {isBinary}, {payload.Length} octets).";
                    p.Log.SetEnabled(true);
                    p.SendClose(1000);
                }
                else if (c.Counter < count) SendOne(c, p);
                else
                {
                    c.Behavior = Verdict.Ok;
                    c.Result = "Every echo arrived in time.";
                    p.Log.SetEnabled(true);
                    p.SendClose(1000);
                }
                return true;
            });
    }
}
