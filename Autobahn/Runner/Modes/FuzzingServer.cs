using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ConformanceRunner.Cases;
using ConformanceRunner.Wire;
using ConformanceRunner.Reporting;

namespace ConformanceRunner.Modes;

/// <summary>
/// wstest's fuzzingserver role: a client under test connects once per case. Endpoints (as wstest's):
/// <c>/getCaseCount</c> (a text message with the number of selected cases, then close),
/// <c>/runCase?case=N&amp;agent=A</c> (runs the N-th selected case, 1-based, and grades it),
/// <c>/getCaseInfo?case=N</c> (a JSON text message {id, description}, then close),
/// <c>/updateReports?agent=A</c> (writes the reports, then close). Here the runner is the server: it sends unmasked
/// frames, requires masked ones, and drops TCP itself after the closing handshake.
/// </summary>
internal sealed class FuzzingServer
{
    private int _casesInFlight;
    private readonly List<CaseDef> _cases;
    private readonly Func<string, string, bool> _excluded;
    private readonly Reporter _reporter;
    private readonly bool _exitAfterReports;
    private readonly TaskCompletionSource<int> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private const string ServerName = "ConformanceRunner/1.0";

    public FuzzingServer(List<CaseDef> cases, Func<string, string, bool> excluded, string outdir, bool exitAfterReports)
    {
        _cases = cases;
        _excluded = excluded;
        _reporter = new Reporter(outdir);
        _exitAfterReports = exitAfterReports;
    }

    public async Task<int> RunAsync(IPAddress address, int port)
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(address, port));
        listener.Listen(64);
        Console.WriteLine($"fuzzingserver: listening on ws://{address}:{port}, {_cases.Count} cases for any client");
        var acceptLoop = Task.Run(async () =>
        {
            while (!_finished.Task.IsCompleted)
            {
                Socket s;
                try { s = await listener.AcceptAsync().ConfigureAwait(false); }
                catch (Exception) { break; }
                _ = Task.Run(() => ServeAsync(s));
            }
        });
        int rc = await _finished.Task.ConfigureAwait(false);
        listener.Close();
        return rc;
    }

    private async Task ServeAsync(Socket socket)
    {
        socket.NoDelay = true;
        string path;
        Dictionary<string, string> query;
        byte[] leftover;
        Deflate.DeflateSession? deflate = null;
        try
        {
            (path, query, leftover) = await Handshake.AcceptAsync(socket, ServerName, (pth, q, offered) =>
            {
                // wstest's server: only the permessage-deflate cases answer an offer; a malformed offer fails the handshake
                if (pth != "/runCase" || offered is null) return null;
                int number = q.TryGetValue("case", out var v) && int.TryParse(v, out var k) ? k : 0;
                var setup = number >= 1 && number <= _cases.Count ? _cases[number - 1].Deflate : null;
                if (setup is null) return null;
                var offers = new List<Deflate.DeflateOffer>();
                foreach (var item in Deflate.ExtensionItem.ParseHeader(offered))
                {
                    if (item.Name != Deflate.ExtensionItem.PerMessageDeflate) continue;
                    if (!Deflate.DeflateOffer.TryParse(item, out var offer, out var error))
                        throw new InvalidDataException("invalid permessage-deflate offer: " + error);
                    offers.Add(offer);
                }
                var accept = setup.Accept(offers);
                if (accept is null) return null;
                deflate = accept.CreateServerSession();
                return deflate.Agreed;
            }).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Console.WriteLine($"rejected a connection: {ex.Message}");
            socket.Dispose();
            return;
        }
        query.TryGetValue("agent", out var agent);
        int caseNumber = query.TryGetValue("case", out var cs) && int.TryParse(cs, out var n) ? n : 0;
        CaseDef? def = caseNumber >= 1 && caseNumber <= _cases.Count ? _cases[caseNumber - 1] : null;
        var p = new TestConnection(socket, isServer: true) { Deflate = deflate };

        switch (path)
        {
            case "/runCase" when def is not null && !string.IsNullOrEmpty(agent):
                if (_excluded(agent, def.Id))
                {
                    Console.WriteLine($"skipping case {def.Id} for agent {agent} (excluded)");
                    p.Start(leftover);
                    lock (p.Gate) p.SendClose();
                    break;
                }
                var c = def.NewInstance();
                p.Case = c;
                Interlocked.Increment(ref _casesInFlight);
                p.Start(leftover);
                var done = await Task.WhenAny(p.Lost, Task.Delay(FuzzingClient.HardCap(def))).ConfigureAwait(false);
                if (done != p.Lost)
                {
                    p.ForceClose("the case exceeded the runner's hard time cap");
                    await Task.WhenAny(p.Lost, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
                }
                CaseResult r;
                lock (p.Gate) r = CaseResult.From(agent, c, p, null);
                _reporter.Add(r);
                Interlocked.Decrement(ref _casesInFlight);
                Console.WriteLine($"{agent} {r.Id,-8} {r.Behavior,-13} {r.BehaviorClose,-13} {r.Duration,7} ms");
                return;
            case "/getCaseCount":
                p.Start(leftover);
                lock (p.Gate)
                {
                    p.SendFrame(Opcode.Text, _cases.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    p.SendClose();
                }
                break;
            case "/getCaseInfo" when def is not null:
                p.Start(leftover);
                lock (p.Gate)
                {
                    p.SendFrame(Opcode.Text, JsonSerializer.Serialize(new { id = def.Id, description = def.Description }));
                    p.SendClose();
                }
                break;
            case "/updateReports" when !string.IsNullOrEmpty(agent):
                // A client may ask for the reports as soon as its side of the last case closed, before this side has
                // seen the TCP connection end and recorded the verdict: wait (bounded) for running cases to finish.
                for (int waited = 0; Volatile.Read(ref _casesInFlight) > 0 && waited < 300; waited++)
                    await Task.Delay(100).ConfigureAwait(false);
                string index = _reporter.Write();
                Console.WriteLine($"reports for {agent} written to {index}");
                var entries = Checker.Load(index).Where(e => e.Agent == agent).ToList();
                Checker.PrintTable(entries, Console.Out);
                p.Start(leftover);
                lock (p.Gate) p.SendClose();
                if (_exitAfterReports)
                {
                    await Task.WhenAny(p.Lost, Task.Delay(TimeSpan.FromSeconds(3))).ConfigureAwait(false);
                    bool ok = entries.Count > 0 && entries.All(e => Checker.Passes(e, false));
                    _finished.TrySetResult(ok ? 0 : 1);
                }
                break;
            default:
                Console.WriteLine($"unknown or incomplete request {path} ({string.Join("&", query.Select(kv => kv.Key + "=" + kv.Value))})");
                p.Start(leftover);
                lock (p.Gate) p.SendClose(1008, "unknown request");
                break;
        }
        await Task.WhenAny(p.Lost, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        p.ForceClose("control connection done");
    }
}
