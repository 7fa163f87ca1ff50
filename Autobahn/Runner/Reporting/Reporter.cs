using System.Text.Json;
using System.Text.Json.Nodes;
using ConformanceRunner.Cases;

namespace ConformanceRunner.Reporting;

/// <summary>Writes wstest-shaped reports: outdir/index.json ({agent: {case: {behavior, behaviorClose, duration,
/// remoteCloseCode, reportfile}}}) and one JSON file per case.</summary>
internal sealed class Reporter
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };
    private readonly string _outdir;
    private readonly Dictionary<string, Dictionary<string, CaseResult>> _byAgent = new();

    public Reporter(string outdir) => _outdir = outdir;

    public void Add(CaseResult result)
    {
        lock (_byAgent)
        {
            if (!_byAgent.TryGetValue(result.Agent, out var cases)) _byAgent[result.Agent] = cases = new();
            cases[result.Id] = result;
        }
    }

    public IReadOnlyDictionary<string, CaseResult> ResultsFor(string agent)
    {
        lock (_byAgent) return _byAgent.TryGetValue(agent, out var c) ? new Dictionary<string, CaseResult>(c) : new();
    }

    /// <summary>Writes the per-case files of every agent and the index (merged with an existing index, as wstest does per agent).</summary>
    public string Write()
    {
        Directory.CreateDirectory(_outdir);
        string indexPath = Path.Combine(_outdir, "index.json");
        JsonObject index = new();
        if (File.Exists(indexPath))
        {
            try { index = JsonNode.Parse(File.ReadAllText(indexPath)) as JsonObject ?? new(); } catch (JsonException) { index = new(); }
        }
        lock (_byAgent)
        {
            foreach (var (agent, cases) in _byAgent)
            {
                var agentNode = new JsonObject();
                foreach (var id in cases.Keys.OrderBy(k => k, Comparer<string>.Create(Catalogue.CompareIds)))
                {
                    var r = cases[id];
                    File.WriteAllText(Path.Combine(_outdir, r.ReportFile), JsonSerializer.Serialize(r, Pretty));
                    agentNode[id] = new JsonObject
                    {
                        ["behavior"] = r.Behavior,
                        ["behaviorClose"] = r.BehaviorClose,
                        ["duration"] = r.Duration,
                        ["remoteCloseCode"] = r.RemoteCloseCode,
                        ["reportfile"] = r.ReportFile,
                    };
                }
                index[agent] = agentNode;
            }
        }
        File.WriteAllText(indexPath, index.ToJsonString(Pretty));
        return indexPath;
    }
}
