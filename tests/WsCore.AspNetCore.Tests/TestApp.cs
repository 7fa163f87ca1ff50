using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.AspNetCore.Tests;

/// <summary>The routes every test class uses, on one <see cref="KestrelServer"/> per class.</summary>
public sealed class TestApp : IAsyncLifetime
{
    public const int MaxMessage = 64 * 1024 * 1024;

    public static readonly WebSocketConnectionOptions Plain = new()
    {
        Protocol = new WebSocketProtocolOptions { MaxFramePayloadLength = MaxMessage, MaxMessageLength = MaxMessage },
        CloseTimeout = TimeSpan.FromSeconds(5),
    };

    public static readonly WebSocketConnectionOptions Deflate = Plain with
    {
        Protocol = Plain.Protocol with { PerMessageDeflate = new PerMessageDeflateOptions { Enabled = true } },
    };

    private KestrelServer? _server;

    public KestrelServer Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _server = await KestrelServer.StartAsync(Map);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    /// <summary>How each <c>/probe</c> handler ended: "aborted=..., state=...".</summary>
    public System.Threading.Channels.Channel<string> ProbeEnded { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>();

    private void Map(WebApplication app)
    {
        var deflate = new WsCoreAcceptOptions { Connection = Deflate };
        app.MapWsCore("/echo", (connection, _) => EchoAsync(connection), deflate);
        app.MapWsCore("/echo-plain", (connection, _) => EchoAsync(connection), new WsCoreAcceptOptions { Connection = Plain });
        app.MapWsCore("/info", InfoThenEchoAsync, deflate);
        app.MapWsCore("/chat", InfoThenEchoAsync, deflate with
        {
            // The server's preference: chat.v2, then chat.v1.
            Policy = request => request.OffersSubprotocol("chat.v2") ? ServerHandshakeDecision.Accept("chat.v2")
                : request.OffersSubprotocol("chat.v1") ? ServerHandshakeDecision.Accept("chat.v1")
                : ServerHandshakeDecision.Reject(StatusCodes.Status400BadRequest, "No supported subprotocol."),
        });
        app.MapWsCore("/private", (connection, _) => EchoAsync(connection), new WsCoreAcceptOptions
        {
            Policy = request => request.Query.Contains("token=secret", StringComparison.Ordinal)
                ? ServerHandshakeDecision.Accept()
                : ServerHandshakeDecision.Reject(StatusCodes.Status403Forbidden, "Forbidden."),
        });
        app.MapWsCore("/origin", (connection, _) => EchoAsync(connection), new WsCoreAcceptOptions { AllowedOrigins = ["https://good.example"] });
        app.MapWsCore("/room/{name}", async (connection, context) =>
        {
            await connection.SendAsync(Encoding.UTF8.GetBytes((string)context.Request.RouteValues["name"]!), MessageKind.Text);
            await EchoAsync(connection);
        });
        app.MapWsCore("/returns", (_, _) => Task.CompletedTask);
        app.MapWsCore("/probe", async (connection, _) =>
        {
            await EchoAsync(connection);
            await ProbeEnded.Writer.WriteAsync($"aborted={connection.IsAborted}, state={connection.State}");
        }, new WsCoreAcceptOptions { Connection = Plain with { KeepAliveInterval = TimeSpan.FromMilliseconds(200), KeepAliveTimeout = TimeSpan.FromSeconds(1) } });
        app.MapWsCore("/throws", (_, _) => throw new InvalidOperationException("The handler failed."));
        app.Map("/ws", async context =>
        {
            using WebSocket? webSocket = await context.AcceptWsCoreWebSocketAsync(deflate);
            if (webSocket is null) return;
            await EchoWebSocketAsync(webSocket);
        });
        app.Map("/both", async context =>
        {
            if (!context.IsWsCoreRequest)
            {
                await context.Response.WriteAsync("plain HTTP");
                return;
            }
            WsCoreAcceptResult accepted = await context.AcceptWsCoreAsync();
            if (!accepted.IsAccepted) return;
            await using WebSocketConnection connection = accepted.Connection;
            await EchoAsync(connection);
        });
    }

    /// <summary>Sends what the server saw (protocol, extended CONNECT, compression, subprotocol, status), then echoes.</summary>
    private static async Task InfoThenEchoAsync(WebSocketConnection connection, HttpContext context)
    {
        WsCoreAcceptResult accepted = context.Features.Get<WsCoreAcceptResult>()!;
        string info = $"{context.Request.Protocol}|{accepted.IsExtendedConnect}|{connection.IsCompressionEnabled}|{accepted.Subprotocol}|{accepted.StatusCode}|{accepted.PerMessageDeflate is not null}";
        await connection.SendAsync(Encoding.UTF8.GetBytes(info), MessageKind.Text);
        await EchoAsync(connection);
    }

    /// <summary>Echoes each piece as it arrives until the connection closes (the peer's close is answered by the engine).</summary>
    public static async Task EchoAsync(WebSocketConnection connection)
    {
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            ConnectionReceiveResult r = await connection.ReceiveAsync(buffer);
            if (r.Kind != ConnectionReceiveKind.MessageData) return;
            if (await connection.SendAsync(buffer.AsMemory(0, r.Count), r.MessageKind, r.EndOfMessage) != SendStatus.Done) return;
        }
    }

    /// <summary>The System.Net.WebSockets echo loop, as written for ManagedWebSocket.</summary>
    private static async Task EchoWebSocketAsync(WebSocket webSocket)
    {
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult r = await webSocket.ReceiveAsync(buffer, CancellationToken.None);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await webSocket.CloseOutputAsync(r.CloseStatus ?? WebSocketCloseStatus.Empty, r.CloseStatusDescription, CancellationToken.None);
                return;
            }
            await webSocket.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, CancellationToken.None);
        }
    }
}
