using System.Net;
using System.Text.Json.Nodes;
using ConformanceRunner.Cases;
using ConformanceRunner.Reporting;
using ConformanceRunner.Modes;

namespace ConformanceRunner;

/// <summary>Command line: fuzzingclient, fuzzingserver, check, compare, list.</summary>
internal static class Program
{
    private const string Usage = """
        ConformanceRunner: an Autobahn-TestSuite-compatible conformance runner (sections 1-7, 9, 10).
          (fuzzingclient/fuzzingserver also take --piece-delay-us N: pause after each chopped/synchronous write, default 100)
          fuzzingclient [--spec FILE] [--url ws://HOST:PORT/ --agent NAME] [--cases "1.*,2.*"] [--exclude-cases "9.*"] [--outdir DIR]
          fuzzingserver [--spec FILE] [--port 9001] [--cases ...] [--exclude-cases ...] [--outdir DIR] [--exit-after-reports]
          check PATH/index.json [--allow-unimplemented]
          compare FIRST/index.json SECOND/index.json
          list [--cases ...] [--exclude-cases ...]
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0) { Console.WriteLine(Usage); return 2; }
        var opts = ParseOptions(args.Skip(1).ToArray(), out var positional);
        if (opts.TryGetValue("piece-delay-us", out var delay) && delay is not null)
            Wire.TestConnection.PieceDelay = TimeSpan.FromMicroseconds(double.Parse(delay, System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            switch (args[0])
            {
                case "fuzzingclient": return await FuzzingClientVerb(opts).ConfigureAwait(false);
                case "fuzzingserver": return await FuzzingServerVerb(opts).ConfigureAwait(false);
                case "check":
                    if (positional.Count < 1) { Console.WriteLine(Usage); return 2; }
                    return Checker.Check(positional[0], opts.ContainsKey("allow-unimplemented"), Console.Out);
                case "compare":
                    if (positional.Count < 2) { Console.WriteLine(Usage); return 2; }
                    return Checker.Compare(positional[0], positional[1], Console.Out);
                case "list":
                    var (inc, exc) = (Patterns(opts.GetValueOrDefault("cases") ?? "*"), Patterns(opts.GetValueOrDefault("exclude-cases")));
                    foreach (var c in Catalogue.Select(inc, exc)) Console.WriteLine($"{c.Id,-8} {c.Description}");
                    return 0;
                default:
                    Console.WriteLine(Usage);
                    return 2;
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or System.Text.Json.JsonException or FormatException or UriFormatException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
    }

    private static Dictionary<string, string?> ParseOptions(string[] args, out List<string> positional)
    {
        var opts = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        positional = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                string key = args[i][2..];
                string? value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
                opts[key] = value;
            }
            else positional.Add(args[i]);
        }
        return opts;
    }

    private static List<string> Patterns(string? csv)
        => csv is null ? new List<string>() : csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static List<string> Strings(JsonNode? node)
        => node is JsonArray a ? a.Select(x => (string?)x ?? "").ToList() : new List<string>();

    /// <summary>exclude-agent-cases: {agentPattern: [casePatterns]} with wstest's anchored "*" globs.</summary>
    private static Func<string, string, bool> AgentExclusions(JsonNode? node)
    {
        var rules = new List<(string Agent, List<string> Cases)>();
        if (node is JsonObject o)
            foreach (var (k, v) in o) rules.Add((k, Strings(v)));
        return (agent, id) => rules.Any(r => Glob(r.Agent, agent) && r.Cases.Any(c => Glob(c, id)));
    }

    private static bool Glob(string pattern, string value)
        => System.Text.RegularExpressions.Regex.IsMatch(value, "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*") + "$");

    private static JsonObject LoadSpec(Dictionary<string, string?> opts)
        => opts.TryGetValue("spec", out var spec) && spec is not null
            ? JsonNode.Parse(File.ReadAllText(spec)) as JsonObject ?? throw new InvalidDataException("spec is not a JSON object")
            : new JsonObject();

    private static (List<CaseDef> Cases, Func<string, string, bool> Excluded) Selection(JsonObject spec, Dictionary<string, string?> opts)
    {
        var include = opts.TryGetValue("cases", out var c) && c is not null ? Patterns(c) : spec["cases"] is JsonArray ? Strings(spec["cases"]) : new List<string> { "*" };
        var exclude = opts.TryGetValue("exclude-cases", out var e) ? Patterns(e) : Strings(spec["exclude-cases"]);
        return (Catalogue.Select(include, exclude), AgentExclusions(spec["exclude-agent-cases"]));
    }

    private static async Task<int> FuzzingClientVerb(Dictionary<string, string?> opts)
    {
        var spec = LoadSpec(opts);
        var (cases, excluded) = Selection(spec, opts);
        var servers = new List<ServerTarget>();
        if (opts.TryGetValue("url", out var url) && url is not null)
            servers.Add(new ServerTarget(opts.GetValueOrDefault("agent") ?? "server", new Uri(url)));
        else if (spec["servers"] is JsonArray list)
            foreach (var s in list)
                servers.Add(new ServerTarget((string?)s?["agent"] ?? "server", new Uri((string?)s?["url"] ?? throw new InvalidDataException("server without url"))));
        if (servers.Count == 0) { Console.WriteLine("no server: give --url or a spec with servers"); return 2; }
        if (url is null && servers.Count == 1 && opts.GetValueOrDefault("agent") is string agent)
            servers[0] = servers[0] with { Agent = agent };
        string outdir = opts.GetValueOrDefault("outdir") ?? (string?)spec["outdir"] ?? "./reports/servers";
        return await FuzzingClient.RunAsync(servers, cases, excluded, outdir).ConfigureAwait(false);
    }

    private static async Task<int> FuzzingServerVerb(Dictionary<string, string?> opts)
    {
        var spec = LoadSpec(opts);
        var (cases, excluded) = Selection(spec, opts);
        int port = 9001;
        var address = IPAddress.Loopback;
        if (opts.TryGetValue("port", out var portText) && portText is not null) port = int.Parse(portText, System.Globalization.CultureInfo.InvariantCulture);
        else if ((string?)spec["url"] is string u)
        {
            var uri = new Uri(u);
            port = uri.Port;
            if (uri.Host is not ("localhost" or "127.0.0.1")) address = IPAddress.Any;
        }
        string outdir = opts.GetValueOrDefault("outdir") ?? (string?)spec["outdir"] ?? "./reports/clients";
        var server = new FuzzingServer(cases, excluded, outdir, opts.ContainsKey("exit-after-reports"));
        return await server.RunAsync(address, port).ConfigureAwait(false);
    }
}
