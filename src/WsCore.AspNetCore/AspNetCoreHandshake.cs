using WsCore.Framing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using WsCore.Diagnostics;
using WsCore.Handshake;
using WsCore.Protocol;

namespace WsCore.AspNetCore;

/// <summary>
/// The opening handshake on a request ASP.NET Core parsed: the request's parts go to WsCore's handshake layer
/// (<see cref="ServerHandshake.Validate"/> for an HTTP/1.1 upgrade, <see cref="ServerHandshake.ValidateExtendedConnect"/>
/// for HTTP/2 and HTTP/3), whose answer (<see cref="ServerHandshake.CreateResponse"/>) is copied into the response; the
/// stream comes from <see cref="IHttpUpgradeFeature"/> or <see cref="IHttpExtendedConnectFeature"/>. Nothing is
/// negotiated here.
/// </summary>
internal static class AspNetCoreHandshake
{
    /// <summary>What the request is, before any policy.</summary>
    internal readonly struct Inspection
    {
        public HandshakeRequestError Error { get; init; }
        public HandshakeRequest? Request { get; init; }
        /// <summary>HTTP/2 or HTTP/3: a WebSocket comes as an extended CONNECT, answered without HTTP/1.1's upgrade headers.</summary>
        public bool IsMultiplexed { get; init; }
        /// <summary>The server can turn the request into a stream (Kestrel offers the upgrade or the extended CONNECT).</summary>
        public bool CanAccept { get; init; }
    }

    /// <summary>The accepted handshake, the stream not yet taken.</summary>
    internal readonly struct Negotiation
    {
        public WsCoreAcceptResult? Rejection { get; init; }
        public HandshakeRequest? Request { get; init; }
        public ServerHandshakeResponse? Response { get; init; }
        public Stream? Stream { get; init; }
    }

    public static Inspection Inspect(HttpContext context)
    {
        HttpRequest r = context.Request;
        IHttpExtendedConnectFeature? connect = context.Features.Get<IHttpExtendedConnectFeature>();
        bool extendedConnect = connect?.IsExtendedConnect == true;
        bool multiplexed = extendedConnect || HttpProtocol.IsHttp2(r.Protocol) || HttpProtocol.IsHttp3(r.Protocol);
        IHeaderDictionary h = r.Headers;
        var fields = new UpgradeRequestFields
        {
            Method = r.Method,
            Protocol = r.Protocol,
            Target = Target(context),
            Host = h.Host.Count == 0 ? null : h.Host.ToString(),
            // RFC 8441 §4: on HTTP/2 the :protocol pseudo-header takes the Upgrade header's role.
            Upgrade = multiplexed ? (extendedConnect ? connect!.Protocol : null) : Value(h.Upgrade),
            Connection = Value(h.Connection),
            SecWebSocketKey = Value(h.SecWebSocketKey),
            SecWebSocketVersion = Value(h.SecWebSocketVersion),
            Origin = Value(h.Origin),
            SecWebSocketProtocol = Value(h.SecWebSocketProtocol),
            SecWebSocketExtensions = Value(h.SecWebSocketExtensions),
            ContentLength = Value(h[Microsoft.Net.Http.Headers.HeaderNames.ContentLength]),
            TransferEncoding = Value(h.TransferEncoding),
        };
        HandshakeRequestError error = multiplexed
            ? ServerHandshake.ValidateExtendedConnect(in fields, out HandshakeRequest? request)
            : ServerHandshake.Validate(in fields, out request);
        bool canAccept = error == HandshakeRequestError.None
            && (multiplexed ? extendedConnect : context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true);
        return new Inspection { Error = error, Request = request, IsMultiplexed = multiplexed, CanAccept = canAccept };
    }

    /// <summary>
    /// Validates, applies the Origin list and the policy, answers a refusal, or sends the accepting answer's headers and takes the stream.
    /// </summary>
    public static async Task<Negotiation> NegotiateAsync(HttpContext context, WsCoreAcceptOptions options)
    {
        // Counted in wscore.handshake from here (Kestrel has read the request head): the answer's status and how long
        // validation, the policy and sending the answer took.
        TimeProvider time = options.Connection.TimeProvider ?? TimeProvider.System;
        long started = time.GetTimestamp();
        Negotiation n;
        try
        {
            n = await NegotiateCoreAsync(context, options).ConfigureAwait(false);
        }
        catch (Exception)
        {
            WsCoreMetrics.RecordHandshake(WebSocketRole.Server, HandshakeOutcome.Failed, 0, time.GetElapsedTime(started));
            throw;
        }
        if (n.Rejection is { } rejection) WsCoreMetrics.RecordHandshake(WebSocketRole.Server, HandshakeOutcome.Rejected, rejection.StatusCode, time.GetElapsedTime(started));
        else WsCoreMetrics.RecordHandshake(WebSocketRole.Server, HandshakeOutcome.Accepted, n.Response!.StatusCode, time.GetElapsedTime(started));
        return n;
    }

    private static async Task<Negotiation> NegotiateCoreAsync(HttpContext context, WsCoreAcceptOptions options)
    {
        if (context.Response.HasStarted)
            throw new InvalidOperationException("The response has already started: a WebSocket can no longer be accepted on this request.");
        Inspection inspection = Inspect(context);
        if (inspection.Error != HandshakeRequestError.None)
        {
            return Rejected(await RejectAsync(context, inspection, HandshakeRequestErrors.StatusCode(inspection.Error),
                HandshakeRequestErrors.Reason(inspection.Error)).ConfigureAwait(false));
        }
        HandshakeRequest request = inspection.Request!;
        if (!inspection.CanAccept)
        {
            return Rejected(await RejectAsync(context, inspection, StatusCodes.Status400BadRequest,
                "The server cannot upgrade this request to a WebSocket.").ConfigureAwait(false));
        }

        ServerHandshakeDecision decision = IsOriginAllowed(request, options.AllowedOrigins)
            ? options.Policy?.Invoke(request) ?? ServerHandshakeDecision.Accept()
            : ServerHandshakeDecision.Reject(StatusCodes.Status403Forbidden, "Origin not allowed.");
        ServerHandshakeResponse answer = ServerHandshake.CreateResponse(request, decision, options.Connection.Protocol.PerMessageDeflate);
        if (!answer.IsAccepted)
        {
            return Rejected(await RejectAsync(context, inspection, answer.StatusCode, answer.Reason ?? "").ConfigureAwait(false));
        }

        IHeaderDictionary headers = context.Response.Headers;
        if (!request.IsExtendedConnect)
        {
            headers.Connection = "Upgrade";
            headers.Upgrade = "websocket";
            headers.SecWebSocketAccept = answer.Accept;
        }
        if (answer.Subprotocol is not null) headers.SecWebSocketProtocol = answer.Subprotocol;
        if (answer.Extensions is not null) headers.SecWebSocketExtensions = answer.Extensions;
        Stream stream = request.IsExtendedConnect
            ? await context.Features.Get<IHttpExtendedConnectFeature>()!.AcceptAsync().ConfigureAwait(false) // 200
            : await context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync().ConfigureAwait(false); // 101
        // A WebSocket lives as long as it lives: no request timeout applies to it.
        context.Features.Get<IHttpRequestTimeoutFeature>()?.DisableTimeout();
        return new Negotiation { Request = request, Response = answer, Stream = stream };

        static Negotiation Rejected(WsCoreAcceptResult result) => new() { Rejection = result };
    }

    private static async Task<WsCoreAcceptResult> RejectAsync(HttpContext context, Inspection inspection, int status, string reason)
    {
        HttpResponse response = context.Response;
        switch (inspection.Error)
        {
            case HandshakeRequestError.MethodNotAllowed:
                // A WebSocket is a GET on HTTP/1.1 and a CONNECT on HTTP/2 and HTTP/3.
                response.Headers.Allow = inspection.IsMultiplexed ? "CONNECT" : "GET";
                break;
            case HandshakeRequestError.UnsupportedWebSocketVersion:
                // RFC 6455 §4.4: say which version we speak. A 426 must name the protocol to upgrade to (RFC 9110
                // §15.5.22), which HTTP/2 cannot carry (no Upgrade header): there the status is 400.
                response.Headers.SecWebSocketVersion = "13";
                if (inspection.IsMultiplexed)
                {
                    status = StatusCodes.Status400BadRequest;
                }
                else
                {
                    response.Headers.Upgrade = "websocket";
                    response.Headers.Connection = "Upgrade";
                }
                break;
        }
        response.StatusCode = status;
        if (reason.Length > 0)
        {
            response.ContentType = "text/plain; charset=utf-8";
            try
            {
                await response.WriteAsync(reason, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                // The client went away before it read why.
            }
        }
        return WsCoreAcceptResult.Rejected(status, inspection.Error, reason, inspection.Request);
    }

    private static bool IsOriginAllowed(HandshakeRequest request, IReadOnlyCollection<string>? allowed)
    {
        if (allowed is null || request.Origin is null) return true;
        foreach (string origin in allowed)
        {
            if (string.Equals(origin, request.Origin, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>The request-target as received (HTTP/2: the :path), which the handshake layer splits into path and query.</summary>
    private static string Target(HttpContext context)
    {
        string? raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (!string.IsNullOrEmpty(raw)) return raw;
        HttpRequest r = context.Request;
        return r.PathBase.ToUriComponent() + r.Path.ToUriComponent() + r.QueryString.ToUriComponent();
    }

    private static string? Value(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 0 ? null : values.ToString();
}
