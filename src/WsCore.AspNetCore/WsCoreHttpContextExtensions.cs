using WsCore.Framing;
using Microsoft.AspNetCore.Http;
using WsCore.Handshake;
using WsCore.Interop;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.AspNetCore;

/// <summary>
/// Accepting a WsCore WebSocket on an ASP.NET Core request, over an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT
/// (RFC 8441; Kestrel offers it on endpoints that speak HTTP/2). Every request that is not a valid WebSocket request is
/// answered with its status (400, 405 with Allow, 426 with <c>Sec-WebSocket-Version: 13</c>, ...), and one refused by
/// the Origin list or the policy with the policy's status, without an exception.
/// </summary>
public static class WsCoreHttpContextExtensions
{
    extension(HttpContext context)
    {
        /// <summary>
        /// True when the request is a valid WebSocket request that this server can accept: an HTTP/1.1 upgrade that passes
        /// RFC 6455 §4.2.1, or an HTTP/2 extended CONNECT with <c>:protocol = websocket</c> (RFC 8441 §4); what
        /// <see cref="AcceptWsCoreAsync"/> would accept, before the Origin list and the policy.
        /// </summary>
        public bool IsWsCoreRequest
        {
            get
            {
                ArgumentNullException.ThrowIfNull(context);
                return AspNetCoreHandshake.Inspect(context).CanAccept;
            }
        }
    }

    /// <summary>
    /// Accepts the request as a WebSocket, or answers it with an error status. The request is validated by WsCore's
    /// handshake layer, <see cref="WsCoreAcceptOptions.AllowedOrigins"/> and <see cref="WsCoreAcceptOptions.Policy"/>
    /// decide, and the subprotocol and permessage-deflate are negotiated there too; the answer (101 on HTTP/1.1, 200 on
    /// HTTP/2) carries what was agreed. The connection runs over the request's stream.
    /// </summary>
    /// <param name="context">The request; its response must not have started.</param>
    /// <param name="options">How to accept; <see cref="WsCoreAcceptOptions.Default"/> when null.</param>
    /// <returns>
    /// The accepted connection with the request and what was agreed, or a rejection whose status has been sent (then just
    /// return from the request). Dispose the connection when done; it is disposed when the request ends at the latest,
    /// and the request ends when the caller returns, so keep the request running while the connection is used.
    /// </returns>
    /// <exception cref="InvalidOperationException">The response has already started.</exception>
    /// <exception cref="ArgumentException">The policy's decision breaks RFC 6455 (see <see cref="ServerHandshake.CreateResponse"/>).</exception>
    public static async Task<WsCoreAcceptResult> AcceptWsCoreAsync(this HttpContext context, WsCoreAcceptOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        options ??= WsCoreAcceptOptions.Default;
        AspNetCoreHandshake.Negotiation n = await AspNetCoreHandshake.NegotiateAsync(context, options).ConfigureAwait(false);
        if (n.Rejection is not null) return n.Rejection;
        var connection = new WebSocketConnection(DuplexPipe.Create(n.Stream!), WebSocketRole.Server, options.Connection, n.Response!.PerMessageDeflate);
        context.Response.RegisterForDisposeAsync(connection);
        return WsCoreAcceptResult.Accepted(n.Request!, n.Response, connection);
    }

    /// <summary>
    /// Accepts the request as a WebSocket for <c>System.Net.WebSockets</c> code, as <see cref="AcceptWsCoreAsync"/> does
    /// (same validation, policy, negotiation and error statuses): a <see cref="WsCoreWebSocket"/> with the agreed
    /// subprotocol (<see cref="System.Net.WebSockets.WebSocket.SubProtocol"/>) and permessage-deflate when negotiated.
    /// It stands in for <c>HttpContext.WebSockets.AcceptWebSocketAsync()</c>.
    /// </summary>
    /// <param name="context">The request; its response must not have started.</param>
    /// <param name="options">How to accept; <see cref="WsCoreAcceptOptions.Default"/> when null.</param>
    /// <returns>
    /// The WebSocket, or null when the request was refused (its status has been sent; <c>context.Response.StatusCode</c>
    /// says which). Dispose it when done; its connection is disposed when the request ends at the latest.
    /// </returns>
    /// <exception cref="InvalidOperationException">The response has already started.</exception>
    /// <exception cref="ArgumentException">The policy's decision breaks RFC 6455 (see <see cref="ServerHandshake.CreateResponse"/>).</exception>
    public static async Task<WsCoreWebSocket?> AcceptWsCoreWebSocketAsync(this HttpContext context, WsCoreAcceptOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        options ??= WsCoreAcceptOptions.Default;
        AspNetCoreHandshake.Negotiation n = await AspNetCoreHandshake.NegotiateAsync(context, options).ConfigureAwait(false);
        if (n.Rejection is not null) return null;
        var webSocket = new WsCoreWebSocket(DuplexPipe.Create(n.Stream!), WebSocketRole.Server, n.Response!.Subprotocol, options.Connection,
            n.Response.PerMessageDeflate);
        context.Response.RegisterForDisposeAsync(webSocket.Connection);
        return webSocket;
    }
}
