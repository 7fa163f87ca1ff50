using System.Buffers;
using System.Net.WebSockets;
using System.Text;

namespace ManagedWebSocketEcho;

/// <summary>
/// <c>server --port 9001</c>: echoes every text/binary message on any path, frame by frame (each receive is sent back
/// with the same type and end-of-message flag, so a message of any size streams through a 4 KiB buffer, as the reference run did, rented only while a piece is there), and
/// answers a close with the same code. <c>client --url ws://127.0.0.1:9002 --agent NAME</c>: an Autobahn echo client
/// (getCaseCount, runCase for each, updateReports) on ClientWebSocket.
/// </summary>
internal static class Program
{
    private const int BufferSize = 4096;

    public static async Task<int> Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "server";
        WsCore.Bench.MemoryReport.StartIfRequested(args);
        string Option(string name, string fallback)
        {
            int i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        return mode switch
        {
            "server" => await RunServer(int.Parse(Option("port", "9001"), System.Globalization.CultureInfo.InvariantCulture)),
            "client" => await RunClient(new Uri(Option("url", "ws://127.0.0.1:9002")), Option("agent", "aspnetcore-client")),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.WriteLine("ManagedWebSocketEcho server --port 9001 | client --url ws://127.0.0.1:9002 --agent NAME");
        return 2;
    }

    private static async Task<int> RunServer(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port));
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.Run(async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }
            using var ws = await context.WebSockets.AcceptWebSocketAsync();
            await Echo(ws, context.RequestAborted);
        });
        Console.WriteLine($"ManagedWebSocketEcho: echo server on ws://127.0.0.1:{port}/");
        await app.RunAsync();
        return 0;
    }

    /// <summary>
    /// The echo loop both modes share: receive a piece, send it back as it came, answer the close. Idle-cheap: it waits
    /// for data with a zero-byte receive and rents its buffer from <see cref="ArrayPool{T}.Shared"/> only while a piece
    /// is being received and sent back.
    /// </summary>
    private static async Task Echo(WebSocket ws, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult r = await ws.ReceiveAsync(Memory<byte>.Empty, ct);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await AnswerClose(ws, ct);
                    return;
                }
                if (r.EndOfMessage)
                {
                    // The message (or its last fragment) had no payload left: echo it as an empty final fragment.
                    await ws.SendAsync(ReadOnlyMemory<byte>.Empty, r.MessageType, true, ct);
                    continue;
                }
                byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    r = await ws.ReceiveAsync(buffer.AsMemory(0, BufferSize), ct);
                    if (r.MessageType == WebSocketMessageType.Close)
                    {
                        await AnswerClose(ws, ct);
                        return;
                    }
                    await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, ct);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (WebSocketException) { }
        catch (OperationCanceledException) { }
        catch (IOException) { }
    }

    private static async Task AnswerClose(WebSocket ws, CancellationToken ct)
    {
        if (ws.State == WebSocketState.CloseReceived)
            await ws.CloseOutputAsync(ws.CloseStatus ?? WebSocketCloseStatus.NormalClosure, ws.CloseStatusDescription, ct);
    }

    private static async Task<int> RunClient(Uri baseUrl, string agent)
    {
        string root = baseUrl.GetLeftPart(UriPartial.Authority).Replace("http", "ws", StringComparison.Ordinal);
        int count;
        using (var ws = new ClientWebSocket())
        {
            await ws.ConnectAsync(new Uri(root + "/getCaseCount"), CancellationToken.None);
            var buffer = new byte[1024];
            var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
            count = int.Parse(Encoding.UTF8.GetString(buffer, 0, r.Count), System.Globalization.CultureInfo.InvariantCulture);
            await DrainClose(ws);
        }
        Console.WriteLine($"ManagedWebSocketEcho client: {count} cases from {root} as agent {agent}");
        for (int i = 1; i <= count; i++)
        {
            using var ws = new ClientWebSocket();
            ws.Options.KeepAliveInterval = TimeSpan.Zero;
            try
            {
                await ws.ConnectAsync(new Uri($"{root}/runCase?case={i}&agent={Uri.EscapeDataString(agent)}"), CancellationToken.None);
                await Echo(ws, CancellationToken.None);
            }
            catch (WebSocketException ex)
            {
                Console.WriteLine($"case {i}: {ex.Message}");
            }
        }
        using (var ws = new ClientWebSocket())
        {
            await ws.ConnectAsync(new Uri($"{root}/updateReports?agent={Uri.EscapeDataString(agent)}"), CancellationToken.None);
            await DrainClose(ws);
        }
        return 0;
    }

    private static async Task DrainClose(ClientWebSocket ws)
    {
        var buffer = new byte[1024];
        try
        {
            while (ws.State == WebSocketState.Open)
            {
                var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    break;
                }
            }
        }
        catch (WebSocketException) { }
    }
}
