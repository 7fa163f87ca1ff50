using System.Text.Json.Nodes;
using ConformanceRunner.Cases;

namespace ConformanceRunner.Reporting;

/// <summary>Reads an index.json (ours or wstest's), prints the per-section table and judges it; also compares two indexes.</summary>
internal static class Checker
{
    public sealed record Entry(string Agent, string Id, string Behavior, string BehaviorClose, long Duration, int? RemoteCloseCode);

    /// <summary>The ids wstest itself grades INFORMATIONAL by design.</summary>
    public static readonly HashSet<string> InformationalIds = new() { "7.1.6", "7.13.1", "7.13.2" };

    public static List<Entry> Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException("index.json is not an object");
        var list = new List<Entry>();
        foreach (var (agent, cases) in root)
        {
            if (cases is not JsonObject caseObj) continue;
            foreach (var (id, node) in caseObj)
            {
                if (node is not JsonObject o) continue;
                list.Add(new Entry(agent, id, (string?)o["behavior"] ?? "?", (string?)o["behaviorClose"] ?? "?",
                    o["duration"] is JsonValue d && d.TryGetValue<long>(out var ms) ? ms : 0,
                    o["remoteCloseCode"] is JsonValue v && v.TryGetValue<int>(out var code) ? code : null));
            }
        }
        list.Sort((a, b) => a.Agent != b.Agent ? string.CompareOrdinal(a.Agent, b.Agent) : Catalogue.CompareIds(a.Id, b.Id));
        return list;
    }

    private static bool IsInformational(string id) => InformationalIds.Contains(id) || Catalogue.IsInformational(id);

    /// <summary>Whether one entry passes: behavior OK (or INFORMATIONAL where the suite says so, UNIMPLEMENTED if allowed),
    /// and behaviorClose OK (or INFORMATIONAL where the suite says so).</summary>
    public static bool Passes(Entry e, bool allowUnimplemented)
    {
        bool info = IsInformational(e.Id);
        bool behaviorOk = e.Behavior == Verdict.Ok || (info && e.Behavior == Verdict.Informational)
                          || (allowUnimplemented && e.Behavior == Verdict.Unimplemented);
        bool closeOk = e.BehaviorClose == Verdict.Ok || (info && e.BehaviorClose == Verdict.Informational)
                       || (allowUnimplemented && e.Behavior == Verdict.Unimplemented && e.BehaviorClose == Verdict.Unimplemented);
        return behaviorOk && closeOk;
    }

    public static void PrintTable(IEnumerable<Entry> entries, TextWriter w)
    {
        foreach (var agentGroup in entries.GroupBy(e => e.Agent))
        {
            w.WriteLine($"agent: {agentGroup.Key}");
            w.WriteLine($"{"section",-8}{"cases",7}{"OK",6}{"NON-STRICT",12}{"INFO",6}{"UNIMPL",8}{"FAILED",8}{"other",7}{"time(s)",9}");
            int[] totals = new int[7];
            double totalTime = 0;
            foreach (var section in agentGroup.GroupBy(e => int.Parse(e.Id.Split('.')[0])).OrderBy(g => g.Key))
            {
                int[] c = Count(section);
                double secs = section.Sum(e => e.Duration) / 1000.0;
                totalTime += secs;
                for (int i = 0; i < 7; i++) totals[i] += c[i];
                w.WriteLine($"{section.Key,-8}{c[0],7}{c[1],6}{c[2],12}{c[3],6}{c[4],8}{c[5],8}{c[6],7}{secs,9:F1}");
            }
            w.WriteLine($"{"all",-8}{totals[0],7}{totals[1],6}{totals[2],12}{totals[3],6}{totals[4],8}{totals[5],8}{totals[6],7}{totalTime,9:F1}");
            var closeCounts = agentGroup.GroupBy(e => e.BehaviorClose).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}");
            w.WriteLine($"behaviorClose counts: {string.Join(", ", closeCounts)}");
            var nonOk = agentGroup.Where(e => e.Behavior != Verdict.Ok || e.BehaviorClose != Verdict.Ok).ToList();
            if (nonOk.Count > 0)
                w.WriteLine("non-OK cases (behavior/behaviorClose): " + string.Join(", ", nonOk.Select(e => $"{e.Id} {e.Behavior}/{e.BehaviorClose}")));
        }
    }

    private static int[] Count(IEnumerable<Entry> entries)
    {
        int[] c = new int[7];
        foreach (var e in entries)
        {
            c[0]++;
            switch (e.Behavior)
            {
                case Verdict.Ok: c[1]++; break;
                case Verdict.NonStrict: c[2]++; break;
                case Verdict.Informational: c[3]++; break;
                case Verdict.Unimplemented: c[4]++; break;
                case Verdict.Failed: c[5]++; break;
                default: c[6]++; break;
            }
        }
        return c;
    }

    /// <summary>The check verb: prints the table, lists the failing cases, returns the exit code.</summary>
    public static int Check(string path, bool allowUnimplemented, TextWriter w)
    {
        var entries = Load(path);
        if (entries.Count == 0) { w.WriteLine($"{path}: no cases"); return 2; }
        PrintTable(entries, w);
        var failing = entries.Where(e => !Passes(e, allowUnimplemented)).ToList();
        if (failing.Count == 0)
        {
            w.WriteLine($"check: PASS ({entries.Count} cases, every one OK{(allowUnimplemented ? " or UNIMPLEMENTED" : "")}; INFORMATIONAL only where the suite defines it)");
            return 0;
        }
        w.WriteLine($"check: FAIL ({failing.Count} of {entries.Count} cases not OK):");
        foreach (var e in failing) w.WriteLine($"  {e.Agent} {e.Id}: behavior {e.Behavior}, behaviorClose {e.BehaviorClose}, remoteCloseCode {e.RemoteCloseCode?.ToString() ?? "none"}");
        return 1;
    }

    /// <summary>The compare verb: case-by-case differences between two indexes (the first agent of each). Verdict
    /// differences (behavior/behaviorClose) decide the exit code; close-code-only differences are listed apart, since
    /// whether a peer's close frame is read before its TCP reset is a race that does not change any verdict.</summary>
    public static int Compare(string first, string second, TextWriter w)
    {
        var ma = Load(first).GroupBy(e => e.Id).ToDictionary(g => g.Key, g => g.First());
        var mb = Load(second).GroupBy(e => e.Id).ToDictionary(g => g.Key, g => g.First());
        int verdicts = 0;
        var codeOnly = new List<string>();
        foreach (var id in ma.Keys.Union(mb.Keys).OrderBy(k => k, Comparer<string>.Create(Catalogue.CompareIds)))
        {
            ma.TryGetValue(id, out var x);
            mb.TryGetValue(id, out var y);
            if (x is null || y is null)
            {
                w.WriteLine($"{id}: only in the {(x is null ? "second" : "first")} index");
                verdicts++;
            }
            else if (x.Behavior != y.Behavior || x.BehaviorClose != y.BehaviorClose)
            {
                w.WriteLine($"{id}: first {x.Behavior}/{x.BehaviorClose} (close {Code(x)}), second {y.Behavior}/{y.BehaviorClose} (close {Code(y)})");
                verdicts++;
            }
            else if (x.RemoteCloseCode != y.RemoteCloseCode)
            {
                codeOnly.Add($"{id} {Code(x)}/{Code(y)}");
            }
        }
        if (codeOnly.Count > 0)
            w.WriteLine($"same verdicts, different remoteCloseCode (first/second), {codeOnly.Count}: {string.Join(", ", codeOnly)}");
        w.WriteLine($"compare: {ma.Count} vs {mb.Count} cases, {verdicts} verdict difference(s), {codeOnly.Count} close-code-only difference(s)");
        return verdicts == 0 ? 0 : 1;
    }

    private static string Code(Entry e) => e.RemoteCloseCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";
}
