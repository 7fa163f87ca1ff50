using System.Diagnostics;
using ConformanceRunner.Cases;
using ConformanceRunner.Wire;
using ConformanceRunner.Reporting;

namespace ConformanceRunner.Modes;

/// <summary>One server under test: its agent name (the report key) and URL.</summary>
internal sealed record ServerTarget(string Agent, Uri Url);

/// <summary>
/// wstest's fuzzingclient role: for each selected case, a new connection to the server under test, the case run,
/// graded, reported. Cases run one after another (like wstest), so timings are comparable.
/// </summary>
internal static class FuzzingClient
{
    /// <summary>The hard cap per case beyond the case's own timers (a hung peer cannot stall CI).</summary>
    public static TimeSpan HardCap(CaseDef def)
        => def.Id.StartsWith("9.", StringComparison.Ordinal) || def.Deflate is not null ? TimeSpan.FromSeconds(120) : TimeSpan.FromSeconds(20);

    /// <summary>
    /// The client's reading of the server's Sec-WebSocket-Extensions, as wstest's: an extension it did not offer, a
    /// malformed permessage-deflate response or two of them fail the connection; a valid one starts compression.
    /// </summary>
    public static bool TryAcceptResponse(CaseDef def, string responseHead, out Deflate.DeflateSession? session, out string? error)
    {
        session = null;
        error = null;
        var headers = Handshake.Headers(responseHead);
        headers.TryGetValue("Sec-WebSocket-Extensions", out var value);
        foreach (var item in Deflate.ExtensionItem.ParseHeader(value))
        {
            if (def.Deflate is null || item.Name != Deflate.ExtensionItem.PerMessageDeflate)
            {
                error = $"the server answered with extension {item.Name}, which was not offered";
                break;
            }
            if (session is not null) { error = "the server answered with permessage-deflate twice"; break; }
            if (!Deflate.DeflateResponse.TryParse(item, out var response, out error)) { error = "invalid permessage-deflate response: " + error; break; }
            session = response.CreateClientSession(value!.Trim());
        }
        if (error is null) return true;
        session?.Dispose();
        session = null;
        return false;
    }

    public static async Task<CaseResult> RunCaseAsync(ServerTarget target, CaseDef def)
    {
        var c = def.NewInstance();
        (System.Net.Sockets.Socket Socket, byte[] Leftover, string Request, string Response) hs;
        string path = string.IsNullOrEmpty(target.Url.PathAndQuery) ? "/" : target.Url.PathAndQuery;
        try
        {
            hs = await Handshake.ConnectAsync(target.Url, path, def.Deflate is null ? null : Deflate.DeflateOffer.ToHeader(def.Deflate.Offers)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return CaseResult.From(target.Agent, c, null, ex.Message);
        }
        if (!TryAcceptResponse(def, hs.Response, out var deflate, out var extensionError))
        {
            hs.Socket.Dispose();
            return CaseResult.From(target.Agent, c, null, extensionError);
        }
        var p = new TestConnection(hs.Socket, isServer: false) { Case = c, Deflate = deflate };
        p.Start(hs.Leftover);
        var done = await Task.WhenAny(p.Lost, Task.Delay(HardCap(def))).ConfigureAwait(false);
        if (done != p.Lost)
        {
            p.ForceClose("the case exceeded the runner's hard time cap");
            await Task.WhenAny(p.Lost, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }
        lock (p.Gate) return CaseResult.From(target.Agent, c, p, null);
    }

    public static async Task<int> RunAsync(IReadOnlyList<ServerTarget> servers, List<CaseDef> cases, Func<string, string, bool> excluded, string outdir)
    {
        var reporter = new Reporter(outdir);
        var total = Stopwatch.StartNew();
        bool allOk = true;
        Console.WriteLine($"fuzzingclient: {cases.Count} cases against {servers.Count} server(s)");
        foreach (var server in servers)
        {
            foreach (var def in cases)
            {
                if (excluded(server.Agent, def.Id)) continue;
                var r = await RunCaseAsync(server, def).ConfigureAwait(false);
                reporter.Add(r);
                Console.WriteLine($"{server.Agent} {r.Id,-8} {r.Behavior,-13} {r.BehaviorClose,-13} {r.Duration,7} ms");
                if (!Checker.Passes(new Checker.Entry(r.Agent, r.Id, r.Behavior, r.BehaviorClose, r.Duration, r.RemoteCloseCode), false)) allOk = false;
            }
        }
        string index = reporter.Write();
        Console.WriteLine($"reports written to {index}; wall time {total.Elapsed.TotalSeconds:F1} s");
        Checker.PrintTable(Checker.Load(index).Where(e => servers.Any(s => s.Agent == e.Agent)), Console.Out);
        return allOk ? 0 : 1;
    }
}
