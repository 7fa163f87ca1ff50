using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using ConformanceRunner.Cases;
using ConformanceRunner.Deflate;
using ConformanceRunner.Modes;

namespace ConformanceRunner.Tests;

/// <summary>
/// Sections 12/13 in both roles against System.Net.WebSockets' own permessage-deflate (DangerousDeflateOptions):
/// an independent implementation must be graded OK for the small cases of every parameter set, and a peer without
/// compression UNIMPLEMENTED (with a clean close), as wstest reports it.
/// </summary>
public class DeflateEndToEndTests
{
    private static readonly string[] Sample = { "12.1.1", "12.2.2", "12.4.3", "12.5.1", "13.1.1", "13.2.1", "13.3.1", "13.4.2", "13.5.1", "13.6.1", "13.7.1" };

    private static async Task EchoAsync(WebSocket ws)
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                int filled = 0;
                WebSocketReceiveResult r;
                do
                {
                    r = await ws.ReceiveAsync(new ArraySegment<byte>(buffer, filled, buffer.Length - filled), CancellationToken.None);
                    filled += r.Count;
                } while (!r.EndOfMessage && r.MessageType != WebSocketMessageType.Close);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    if (ws.State == WebSocketState.CloseReceived)
                        await ws.CloseOutputAsync(r.CloseStatus ?? WebSocketCloseStatus.NormalClosure, r.CloseStatusDescription, CancellationToken.None);
                    return;
                }
                await ws.SendAsync(buffer.AsMemory(0, filled), r.MessageType, true, CancellationToken.None);
            }
        }
        catch (WebSocketException) { }
        catch (IOException) { }
    }

    private static async Task RunServerAsync(TcpListener listener, bool compress, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket s;
            try { s = await listener.AcceptSocketAsync(stop); } catch (OperationCanceledException) { return; }
            _ = Task.Run(async () =>
            {
                using var socket = s;
                try
                {
                    WebSocketDeflateOptions? deflate = null;
                    await Handshake.AcceptAsync(socket, "test", (_, _, offered) =>
                    {
                        if (!compress || offered is null) return null;
                        var item = ExtensionItem.ParseHeader(offered)[0];
                        Assert.True(DeflateOffer.TryParse(item, out var offer, out _));
                        deflate = new WebSocketDeflateOptions
                        {
                            ServerMaxWindowBits = offer.RequestMaxWindowBits == 0 ? 15 : offer.RequestMaxWindowBits,
                            ServerContextTakeover = !offer.RequestNoContextTakeover,
                        };
                        return new DeflateOfferAccept(offer).ToHeader();
                    });
                    using var ws = WebSocket.CreateFromStream(new NetworkStream(socket, ownsSocket: false),
                        new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero, DangerousDeflateOptions = deflate });
                    await EchoAsync(ws);
                }
                catch (IOException) { }
                catch (SocketException) { }
            });
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Fuzzingclient_grades_a_managed_websocket_server(bool compress)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var loop = RunServerAsync(listener, compress, stop.Token);
        var target = new ServerTarget("managed", new Uri($"ws://127.0.0.1:{port}/"));
        foreach (var id in Sample)
        {
            var result = await FuzzingClient.RunCaseAsync(target, Catalogue.Find(id)!);
            Assert.True(result.Behavior == (compress ? Verdict.Ok : Verdict.Unimplemented) && result.BehaviorClose == Verdict.Ok,
                $"{id}: {result.Behavior}/{result.BehaviorClose} ({result.Result} / {result.ResultClose})");
        }
        stop.Cancel();
        listener.Stop();
        await loop;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Fuzzingserver_grades_a_client_websocket(bool compress)
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        var outdir = Directory.CreateTempSubdirectory("wscore-deflate").FullName;
        try
        {
            var cases = Catalogue.Select(Sample, Array.Empty<string>());
            var server = new FuzzingServer(cases, (_, _) => false, outdir, exitAfterReports: true);
            var run = server.RunAsync(IPAddress.Loopback, port);
            for (int i = 1; i <= cases.Count; i++)
            {
                using var ws = new ClientWebSocket();
                ws.Options.KeepAliveInterval = TimeSpan.Zero;
                if (compress) ws.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
                await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/runCase?case={i}&agent=managed"), CancellationToken.None);
                await EchoAsync(ws);
            }
            using (var ws = new ClientWebSocket())
            {
                await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/updateReports?agent=managed"), CancellationToken.None);
                await EchoAsync(ws);
            }
            Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))));
            var entries = Reporting.Checker.Load(Path.Combine(outdir, "index.json"));
            Assert.Equal(cases.Count, entries.Count);
            Assert.All(entries, e => Assert.True(e.Behavior == (compress ? Verdict.Ok : Verdict.Unimplemented) && e.BehaviorClose == Verdict.Ok,
                $"{e.Id}: {e.Behavior}/{e.BehaviorClose}"));
        }
        finally
        {
            Directory.Delete(outdir, recursive: true);
        }
    }
}
