using System.Text.Json.Serialization;
using ConformanceRunner.Cases;
using ConformanceRunner.Wire;

namespace ConformanceRunner.Reporting;

/// <summary>The per-case report (our own fields; the index entry is derived from it).</summary>
internal sealed class CaseResult
{
    [JsonPropertyName("agent")] public string Agent { get; set; } = "";
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("role")] public string Role { get; set; } = "";
    [JsonPropertyName("description")] public string Description { get; set; } = "";
    [JsonPropertyName("expectation")] public string Expectation { get; set; } = "";
    [JsonPropertyName("behavior")] public string Behavior { get; set; } = Verdict.Failed;
    [JsonPropertyName("behaviorClose")] public string BehaviorClose { get; set; } = Verdict.Failed;
    [JsonPropertyName("result")] public string Result { get; set; } = "";
    [JsonPropertyName("resultClose")] public string ResultClose { get; set; } = "";
    [JsonPropertyName("duration")] public long Duration { get; set; }
    [JsonPropertyName("expected")] public Dictionary<string, List<object?[]>> Expected { get; set; } = new();
    [JsonPropertyName("expectedClose")] public object? ExpectedClose { get; set; }
    [JsonPropertyName("received")] public List<object?[]> Received { get; set; } = new();
    [JsonPropertyName("closedByMe")] public bool ClosedByMe { get; set; }
    [JsonPropertyName("failedByMe")] public bool FailedByMe { get; set; }
    [JsonPropertyName("droppedByMe")] public bool DroppedByMe { get; set; }
    [JsonPropertyName("wasClean")] public bool WasClean { get; set; }
    [JsonPropertyName("wasNotCleanReason")] public string? WasNotCleanReason { get; set; }
    [JsonPropertyName("localCloseCode")] public int? LocalCloseCode { get; set; }
    [JsonPropertyName("remoteCloseCode")] public int? RemoteCloseCode { get; set; }
    [JsonPropertyName("remoteCloseReason")] public string? RemoteCloseReason { get; set; }
    [JsonPropertyName("reportfile")] public string ReportFile { get; set; } = "";
    [JsonPropertyName("wirelog")] public List<object?[]> WireLog { get; set; } = new();

    public static CaseResult From(string agent, CaseBase c, TestConnection? p, string? setupError)
    {
        var r = new CaseResult
        {
            Agent = agent,
            Id = c.Def.Id,
            Role = p is null ? "" : p.IsServer ? "fuzzingserver" : "fuzzingclient",
            Description = c.Def.Description,
            Expectation = c.Def.Expectation,
            Behavior = c.Behavior,
            BehaviorClose = c.BehaviorClose,
            Result = c.Result,
            ResultClose = c.ResultClose,
            ReportFile = ReportFileName(agent, c.Def.Id),
        };
        foreach (var (verdict, events) in c.Expected) r.Expected[verdict] = events.Select(e => e.ToReport()).ToList();
        r.ExpectedClose = new { closedByMe = c.Close.ClosedByMe, closeCode = c.Close.Codes, requireClean = c.Close.RequireClean, closedByWrongEndpointIsFatal = c.Close.WrongEndpointIsFatal };
        r.Received = c.Received.Select(e => e.ToReport()).ToList();
        if (setupError is not null)
        {
            r.Behavior = Verdict.Failed;
            r.BehaviorClose = Verdict.Failed;
            r.Result = "The case could not run: " + setupError;
            r.ResultClose = "The opening handshake never completed.";
        }
        if (p is not null)
        {
            r.Duration = (long)Math.Round(p.DurationMs);
            r.ClosedByMe = p.ClosedByMe;
            r.FailedByMe = p.FailedByMe;
            r.DroppedByMe = p.DroppedByMe;
            r.WasClean = p.WasClean;
            r.WasNotCleanReason = p.WasNotCleanReason;
            r.LocalCloseCode = p.LocalCloseCode;
            r.RemoteCloseCode = p.RemoteCloseCode;
            r.RemoteCloseReason = p.RemoteCloseReason;
            r.WireLog = p.Log.Entries;
        }
        return r;
    }

    /// <summary>wstest's naming: the agent lower-cased with anything but letters and digits turned into '_', then the case id.</summary>
    public static string ReportFileName(string agent, string id)
    {
        var clean = new string(agent.ToLowerInvariant().Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '_').ToArray());
        return $"{clean}_case_{id.Replace('.', '_')}.json";
    }
}
