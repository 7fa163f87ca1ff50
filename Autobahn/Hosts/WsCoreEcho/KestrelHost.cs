using WsCore.Framing;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCoreEcho;

/// <summary>
/// WsCore hosted under Kestrel, the two ways a server author would embed it:
/// <list type="bullet">
/// <item><c>--host kestrel</c>: after ASP.NET Core's HTTP parsing, as middleware that validates the upgrade from the
/// parsed header values (<see cref="ServerHandshake.Validate"/>), answers 101 with the header values
/// <see cref="ServerHandshake.CreateResponse"/> gives (permessage-deflate negotiated there) through <see cref="IHttpUpgradeFeature"/>
/// and runs WsCore over the upgraded stream.</item>
/// <item><c>--host kestrel-connection</c>: on raw Kestrel connections (a connection handler): Kestrel only accepts
/// sockets; WsCore reads the HTTP upgrade itself (<see cref="PipeHandshake"/>) from the connection's
/// <see cref="IDuplexPipe"/> and frames directly on Kestrel's transport pipes.</item>
/// </list>
/// </summary>
internal static class KestrelHost
{
    public static async Task<int> RunUpgradeAsync(int port)
    {
        WebApplication app = Build(port, listen => { });
        app.Run(HandleUpgradeAsync);
        Console.WriteLine($"WsCore echo server (Kestrel, HTTP upgrade) on ws://127.0.0.1:{port}");
        await app.RunAsync();
        return 0;
    }

    public static async Task<int> RunConnectionHandlerAsync(int port)
    {
        WebApplication app = Build(port, listen => listen.Run(HandleConnectionAsync));
        Console.WriteLine($"WsCore echo server (Kestrel connection handler) on ws://127.0.0.1:{port}");
        await app.RunAsync();
        return 0;
    }

    private static WebApplication Build(int port, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> configure)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, port, configure);
        });
        return builder.Build();
    }

    /// <summary>The HTTP upgrade path: ASP.NET Core parsed the request; WsCore validates it and takes the stream.</summary>
    private static async Task HandleUpgradeAsync(HttpContext context)
    {
        HttpRequest r = context.Request;
        IHttpUpgradeFeature? upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var fields = new UpgradeRequestFields
        {
            Method = r.Method,
            Protocol = r.Protocol,
            Target = r.Path.ToUriComponent() + r.QueryString.ToUriComponent(),
            Host = r.Headers.Host.ToString(),
            Upgrade = r.Headers.Upgrade.ToString(),
            Connection = r.Headers.Connection.ToString(),
            SecWebSocketKey = r.Headers.SecWebSocketKey.ToString(),
            SecWebSocketVersion = r.Headers.SecWebSocketVersion.ToString(),
            Origin = r.Headers.Origin.Count == 0 ? null : r.Headers.Origin.ToString(),
            SecWebSocketProtocol = r.Headers.SecWebSocketProtocol.Count == 0 ? null : r.Headers.SecWebSocketProtocol.ToString(),
            SecWebSocketExtensions = r.Headers.SecWebSocketExtensions.Count == 0 ? null : r.Headers.SecWebSocketExtensions.ToString(),
        };
        HandshakeRequestError error = ServerHandshake.Validate(fields, out HandshakeRequest? request);
        if (error != HandshakeRequestError.None || request is null || upgrade is null || !upgrade.IsUpgradableRequest)
        {
            context.Response.StatusCode = error == HandshakeRequestError.None ? StatusCodes.Status400BadRequest : HandshakeRequestErrors.StatusCode(error);
            if (error == HandshakeRequestError.UnsupportedWebSocketVersion) context.Response.Headers.SecWebSocketVersion = "13";
            await context.Response.WriteAsync(error == HandshakeRequestError.None ? "Not an upgradable request." : HandshakeRequestErrors.Reason(error));
            return;
        }

        // The handshake layer answers (and negotiates permessage-deflate); Kestrel sends the header values it gives.
        ServerHandshakeResponse answer = ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept(), Program.ConnectionOptions.Protocol.PerMessageDeflate);
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = answer.Accept;
        if (answer.Subprotocol is not null) context.Response.Headers.SecWebSocketProtocol = answer.Subprotocol;
        if (answer.Extensions is not null) context.Response.Headers.SecWebSocketExtensions = answer.Extensions;

        Stream stream = await upgrade.UpgradeAsync();
        // Zero-byte reads (DuplexPipe.Create's default): the reader waits for data before it rents a buffer, so an idle
        // connection holds none.
        DuplexPipe transport = DuplexPipe.Create(stream);
        await using var connection = new WebSocketConnection(transport, WebSocketRole.Server, Program.ConnectionOptions, answer.PerMessageDeflate);
        await Program.EchoAsync(connection);
        await transport.Output.CompleteAsync();
        await transport.Input.CompleteAsync();
    }

    /// <summary>The raw connection path: WsCore does the HTTP upgrade itself on Kestrel's transport.</summary>
    private static async Task HandleConnectionAsync(ConnectionContext context)
    {
        // HandshakeOptions.Timeout (10 s by default) bounds the handshake: a slowloris gets 408 and the connection ends.
        ServerHandshakeResult handshake = await PipeHandshake.AcceptAsync(context.Transport,
            perMessageDeflate: Program.ConnectionOptions.Protocol.PerMessageDeflate);
        if (!handshake.IsAccepted) return;
        await using var connection = new WebSocketConnection(context.Transport, WebSocketRole.Server, Program.ConnectionOptions, handshake.PerMessageDeflate);
        await Program.EchoAsync(connection);
    }
}
