using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WsCore.Closing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.AspNetCore;

/// <summary>WsCore WebSocket endpoints for minimal APIs and endpoint routing.</summary>
public static class WsCoreEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps a WebSocket endpoint: each request to <paramref name="pattern"/> is accepted with
    /// <see cref="WsCoreHttpContextExtensions.AcceptWsCoreAsync"/> (over HTTP/1.1 or HTTP/2; every method is routed
    /// here, so a bad one gets its 405) and, once accepted, handed to <paramref name="handler"/>. The accept's result
    /// (request, subprotocol, permessage-deflate) is <c>context.Features.Get&lt;WsCoreAcceptResult&gt;()</c>.
    /// When the handler returns, a connection it left open is closed (1000; 1011 when it threw, and the exception
    /// goes on to ASP.NET Core), the connection is disposed, and a connection that ended without a closing handshake
    /// aborts the request (an HTTP/2 stream is reset rather than ended).
    /// </summary>
    /// <param name="endpoints">The route builder (a <c>WebApplication</c>).</param>
    /// <param name="pattern">The route pattern, e.g. <c>/chat</c>.</param>
    /// <param name="handler">The application: receives and sends on the connection while the request runs.</param>
    /// <param name="options">How to accept; <see cref="WsCoreAcceptOptions.Default"/> when null.</param>
    /// <returns>The endpoint's convention builder (authorization, CORS metadata, names, ...).</returns>
    public static IEndpointConventionBuilder MapWsCore(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern,
        Func<WebSocketConnection, HttpContext, Task> handler, WsCoreAcceptOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(handler);
        return endpoints.Map(pattern, context => RunAsync(context, handler, options)).WithDisplayName("WsCore " + pattern);
    }

    private static async Task RunAsync(HttpContext context, Func<WebSocketConnection, HttpContext, Task> handler, WsCoreAcceptOptions? options)
    {
        WsCoreAcceptResult accepted = await context.AcceptWsCoreAsync(options).ConfigureAwait(false);
        if (!accepted.IsAccepted) return;
        context.Features.Set(accepted);
        WebSocketConnection connection = accepted.Connection;
        bool failed = true;
        try
        {
            await handler(connection, context).ConfigureAwait(false);
            failed = false;
        }
        finally
        {
            await EndAsync(context, connection, failed).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Finishes what the handler left (the closing handshake, bounded by the close timeout), disposes, and aborts the
    /// request after an abort.
    /// </summary>
    private static async Task EndAsync(HttpContext context, WebSocketConnection connection, bool failed)
    {
        try
        {
            if (!connection.IsAborted && connection.State is CloseHandshakeState.Open or CloseHandshakeState.CloseReceived)
            {
                await connection.CloseAsync(failed ? CloseCodes.InternalError : CloseCodes.NormalClosure).ConfigureAwait(false);
            }
            else if (!connection.IsAborted && connection.State == CloseHandshakeState.CloseSent)
            {
                // The handler sent its close and returned: wait for the peer's (the engine's close timer bounds it).
                byte[] scratch = new byte[256];
                while ((await connection.ReceiveAsync(scratch).ConfigureAwait(false)).Kind == ConnectionReceiveKind.MessageData)
                {
                }
            }
        }
        catch (Exception)
        {
            // The transport failed while closing, or a receive the handler started is still running: the connection
            // is disposed (aborted) below.
        }
        bool aborted = connection.IsAborted;
        await connection.DisposeAsync().ConfigureAwait(false);
        if (aborted) context.Abort();
    }
}
