using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using ConformanceRunner.Cases;
using ConformanceRunner.Modes;

namespace ConformanceRunner.Tests;

/// <summary>
/// Both roles against System.Net.WebSockets (ManagedWebSocket) echo peers, over loopback: the verdicts must be those
/// the real wstest gave the same stack for these cases (all OK).
/// </summary>
public class EndToEndTests
{
    private static readonly string[] Sample = { "1.1.1", "1.2.8", "2.1", "2.5", "2.10", "3.1", "4.2.1", "5.3", "5.9", "6.2.3", "6.3.1", "6.20.1", "7.1.1", "7.3.2", "7.5.1", "7.7.1", "7.9.1", "9.1.1", "10.1.1" };

    private static async Task EchoAsync(WebSocket ws)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    if (ws.State == WebSocketState.CloseReceived)
                        await ws.CloseOutputAsync(r.CloseStatus ?? WebSocketCloseStatus.NormalClosure, r.CloseStatusDescription, CancellationToken.None);
                    return;
                }
                await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
            }
        }
        catch (WebSocketException) { }
        catch (IOException) { }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Fuzzingclient_grades_a_managed_websocket_echo_server_ok()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var serverLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Socket s;
                try { s = await listener.AcceptSocketAsync(stop.Token); } catch (OperationCanceledException) { return; }
                _ = Task.Run(async () =>
                {
                    using var socket = s;
                    try
                    {
                        var (_, _, leftover) = await Handshake.AcceptAsync(socket, "test");
                        Assert.Empty(leftover);
                        using var ws = WebSocket.CreateFromStream(new NetworkStream(socket, ownsSocket: false), isServer: true, subProtocol: null, keepAliveInterval: TimeSpan.Zero);
                        await EchoAsync(ws);
                    }
                    catch (IOException) { }
                    catch (SocketException) { }
                });
            }
        });

        var target = new ServerTarget("managed", new Uri($"ws://127.0.0.1:{port}/"));
        foreach (var id in Sample)
        {
            var result = await FuzzingClient.RunCaseAsync(target, Catalogue.Find(id)!);
            Assert.True(result.Behavior == Verdict.Ok && result.BehaviorClose == Verdict.Ok,
                $"{id}: {result.Behavior}/{result.BehaviorClose} ({result.Result} / {result.ResultClose})");
        }
        stop.Cancel();
        listener.Stop();
        await serverLoop;
    }

    [Fact]
    public async Task Fuzzingserver_grades_a_client_websocket_echo_client_ok()
    {
        int port = FreePort();
        var outdir = Directory.CreateTempSubdirectory("wscore-fuzzingserver").FullName;
        try
        {
            var cases = Catalogue.Select(Sample, Array.Empty<string>());
            var server = new FuzzingServer(cases, (_, _) => false, outdir, exitAfterReports: true);
            var run = server.RunAsync(IPAddress.Loopback, port);
            string root = $"ws://127.0.0.1:{port}";
            for (int i = 1; i <= cases.Count; i++)
            {
                using var ws = new ClientWebSocket();
                ws.Options.KeepAliveInterval = TimeSpan.Zero;
                await ws.ConnectAsync(new Uri($"{root}/runCase?case={i}&agent=managed-client"), CancellationToken.None);
                await EchoAsync(ws);
            }
            using (var ws = new ClientWebSocket())
            {
                await ws.ConnectAsync(new Uri($"{root}/updateReports?agent=managed-client"), CancellationToken.None);
                await EchoAsync(ws);
            }
            var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.Same(run, finished);
            var entries = Reporting.Checker.Load(Path.Combine(outdir, "index.json"));
            Assert.Equal(cases.Count, entries.Count);
            Assert.All(entries, e => Assert.True(e.Behavior == Verdict.Ok && e.BehaviorClose == Verdict.Ok, $"{e.Id}: {e.Behavior}/{e.BehaviorClose}"));
            Assert.Equal(0, await run);
        }
        finally
        {
            Directory.Delete(outdir, recursive: true);
        }
    }
}
