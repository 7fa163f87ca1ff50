using WsCore.Compression;

namespace WsCore.Handshake;

/// <summary>
/// The server's side of the opening handshake, sans-I/O: validation of an upgrade request (RFC 6455 §4.2.1) from
/// already-parsed parts, for hosts with their own HTTP parser (<see cref="HandshakeRequestReader"/> applies exactly these
/// rules after reading raw bytes), and the answer to a validated request (<see cref="CreateResponse"/>), where
/// permessage-deflate is negotiated and the policy's subprotocol checked, once for every host.
/// </summary>
public static class ServerHandshake
{
    /// <summary>
    /// Validates an upgrade request. Never throws for any field values.
    /// </summary>
    /// <param name="fields">The request's method, version, target and header values.</param>
    /// <param name="request">The validated request when the result is <see cref="HandshakeRequestError.None"/>, otherwise null.</param>
    /// <returns><see cref="HandshakeRequestError.None"/>, or why to reject (see <see cref="HandshakeRequestErrors"/> for the status).</returns>
    public static HandshakeRequestError Validate(in UpgradeRequestFields fields, out HandshakeRequest? request)
    {
        request = null;
        if (fields.Method is null || fields.Protocol is null || fields.Target is null) return HandshakeRequestError.InvalidRequestLine;
        HandshakeRequestError error = ValidateRequestLine(fields.Method, fields.Protocol, fields.Target, out string path, out string query);
        if (error != HandshakeRequestError.None) return error;
        return ValidateHeaders(in fields, path, query, null, out request);
    }

    /// <summary>
    /// Validates a WebSocket request over HTTP/2 (an extended CONNECT, RFC 8441 §4-5) or HTTP/3 (RFC 9220), for hosts
    /// whose HTTP stack parsed it (Kestrel's <c>IHttpExtendedConnectFeature</c>). The rules of <see cref="Validate"/>
    /// apply except those of HTTP/1.1's upgrade: the method is <c>CONNECT</c>, the version HTTP/2 or HTTP/3,
    /// <see cref="UpgradeRequestFields.Upgrade"/> carries the <c>:protocol</c> pseudo-header (which takes the Upgrade
    /// header's role, §4) and must be <c>websocket</c>, <see cref="UpgradeRequestFields.Host"/> the <c>:authority</c>;
    /// Connection is not used, and neither is Sec-WebSocket-Key (§5), so the request's <see cref="HandshakeRequest.Key"/>
    /// is empty and its answer (<see cref="CreateResponse"/>) is a 200 without Sec-WebSocket-Accept. Never throws for any field values.
    /// </summary>
    /// <param name="fields">The request's method, version, <c>:path</c>, <c>:protocol</c> and header values.</param>
    /// <param name="request">The validated request when the result is <see cref="HandshakeRequestError.None"/>, otherwise null.</param>
    /// <returns><see cref="HandshakeRequestError.None"/>, or why to reject (see <see cref="HandshakeRequestErrors"/> for the status).</returns>
    public static HandshakeRequestError ValidateExtendedConnect(in UpgradeRequestFields fields, out HandshakeRequest? request)
    {
        request = null;
        if (fields.Method is null || fields.Protocol is null || fields.Target is null) return HandshakeRequestError.InvalidRequestLine;
        if (!HttpSyntax.IsToken(fields.Method)) return HandshakeRequestError.InvalidRequestLine;
        if (!string.Equals(fields.Method, "CONNECT", StringComparison.Ordinal)) return HandshakeRequestError.MethodNotAllowed;
        if (fields.Protocol is not ("HTTP/2" or "HTTP/2.0" or "HTTP/3" or "HTTP/3.0")) return HandshakeRequestError.UnsupportedHttpVersion;
        if (!fields.Target.StartsWith('/') || !TrySplitTarget(fields.Target, out string path, out string query)) return HandshakeRequestError.InvalidRequestTarget;
        return ValidateHeaders(in fields, path, query, null, out request, extendedConnect: true);
    }

    /// <summary>
    /// The answer to a validated request: applies the policy's <paramref name="decision"/> and negotiates
    /// permessage-deflate (RFC 7692 §5: the first offer <paramref name="perMessageDeflate"/>, or the decision's own
    /// <see cref="ServerHandshakeDecision.PerMessageDeflate"/>, can honour; none when the offers are malformed or none
    /// fits). The result holds the status, the header values to send and the agreed subprotocol and parameters.
    /// Never throws for anything the client sent.
    /// </summary>
    /// <param name="request">The validated request (from <see cref="Validate"/> or <see cref="HandshakeRequestReader"/>).</param>
    /// <param name="decision">What the server's policy decided (<see cref="ServerHandshakeDecision.Accept"/> when it has none).</param>
    /// <param name="perMessageDeflate">The server's permessage-deflate policy (the connection's
    /// <see cref="PerMessageDeflateOptions"/>); null or disabled to run without compression.</param>
    /// <exception cref="ArgumentException">The decision is a bug in the server's policy: it names a subprotocol the
    /// client did not offer (RFC 6455 §4.2.2 forbids sending one), a subprotocol that is not a token, an extensions answer
    /// that is not a valid header value or that names permessage-deflate, extensions together with
    /// <see cref="ServerHandshakeDecision.PerMessageDeflate"/>, or (rejecting) a status outside 400-599.</exception>
    public static ServerHandshakeResponse CreateResponse(HandshakeRequest request, in ServerHandshakeDecision decision, PerMessageDeflateOptions? perMessageDeflate = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!decision.IsAccepted)
        {
            if (decision.StatusCode is < 400 or > 599)
                throw new ArgumentException($"A rejection needs a 4xx or 5xx status, not {decision.StatusCode}.", nameof(decision));
            return ServerHandshakeResponse.Rejection(decision.StatusCode, decision.Reason ?? "");
        }

        string? subprotocol = decision.Subprotocol;
        if (subprotocol is not null && !request.OffersSubprotocol(subprotocol))
        {
            throw new ArgumentException(
                $"The policy chose the subprotocol '{subprotocol}', which the client did not offer (RFC 6455 §4.2.2).", nameof(decision));
        }

        string? extensions = null;
        PerMessageDeflateParameters? agreed = null;
        if (decision.Extensions is string own)
        {
            if (decision.PerMessageDeflate is not null)
                throw new ArgumentException("A decision gives either its own extensions answer or permessage-deflate options, not both.", nameof(decision));
            HeadWriter.CheckValue(own, nameof(decision));
            if (NamesPerMessageDeflate(own))
                throw new ArgumentException("permessage-deflate is negotiated by the handshake layer: set ServerHandshakeDecision.PerMessageDeflate instead of answering it.", nameof(decision));
            if (own.Length > 0) extensions = own;
        }
        else
        {
            PerMessageDeflateOptions policy = decision.PerMessageDeflate ?? perMessageDeflate ?? PerMessageDeflateOptions.Disabled;
            if (policy.Enabled && request.Extensions is string offers
                && PerMessageDeflateNegotiation.SelectOffer(policy, offers, out PerMessageDeflateParameters parameters) == PerMessageDeflateNegotiationResult.Accepted)
            {
                agreed = parameters;
                extensions = PerMessageDeflateNegotiation.CreateResponse(parameters);
            }
        }
        return request.IsExtendedConnect
            ? ServerHandshakeResponse.ExtendedConnectAccepted(subprotocol, extensions, agreed)
            : ServerHandshakeResponse.SwitchingProtocols(request.Key, subprotocol, extensions, agreed);
    }

    private static bool NamesPerMessageDeflate(string extensions)
    {
        var reader = new ExtensionHeaderReader(extensions);
        while (reader.MoveNextExtension())
        {
            if (reader.ExtensionName.Equals(PerMessageDeflateNegotiation.ExtensionName, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>Method, version and target rules; the first checks a server can make.</summary>
    internal static HandshakeRequestError ValidateRequestLine(string method, string protocol, string target, out string path, out string query)
    {
        path = query = "";
        if (!HttpSyntax.IsToken(method)) return HandshakeRequestError.InvalidRequestLine;
        if (!HttpSyntax.TryParseVersion(protocol, out int major, out int minor)) return HandshakeRequestError.InvalidRequestLine;
        if (!string.Equals(method, "GET", StringComparison.Ordinal)) return HandshakeRequestError.MethodNotAllowed;
        if (!HttpSyntax.IsUpgradableVersion(major, minor)) return HandshakeRequestError.UnsupportedHttpVersion;
        return TrySplitTarget(target, out path, out query) ? HandshakeRequestError.None : HandshakeRequestError.InvalidRequestTarget;
    }

    /// <summary>
    /// Splits an origin-form (<c>/path?query</c>) or ws/wss/http/https absolute-form target into path and query.
    /// Fragments (<c>#</c>) are refused (RFC 6455 §3), and so is anything but visible ASCII.
    /// </summary>
    internal static bool TrySplitTarget(string target, out string path, out string query)
    {
        path = query = "";
        ReadOnlySpan<char> t = target;
        if (t.IsEmpty || t.ContainsAnyExceptInRange('!', '~') || t.Contains('#')) return false;
        int pathStart;
        if (t[0] == '/')
        {
            pathStart = 0;
        }
        else
        {
            int schemeEnd = t.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd < 0) return false;
            ReadOnlySpan<char> scheme = t.Slice(0, schemeEnd);
            if (!scheme.Equals("ws", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("wss", StringComparison.OrdinalIgnoreCase) &&
                !scheme.Equals("http", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
            int authorityStart = schemeEnd + 3;
            int authorityLength = t.Slice(authorityStart).IndexOfAny('/', '?');
            if (authorityLength < 0) authorityLength = t.Length - authorityStart;
            if (authorityLength == 0) return false;
            pathStart = authorityStart + authorityLength;
        }
        int queryStart = t.Slice(pathStart).IndexOf('?');
        if (queryStart < 0)
        {
            path = pathStart == t.Length ? "/" : pathStart == 0 ? target : target.Substring(pathStart);
        }
        else
        {
            queryStart += pathStart;
            path = queryStart == pathStart ? "/" : target.Substring(pathStart, queryStart - pathStart);
            query = target.Substring(queryStart);
        }
        return true;
    }

    /// <summary>
    /// The header rules of RFC 6455 §4.2.1 (request line already validated); for an extended CONNECT (RFC 8441 §5)
    /// without Connection and Sec-WebSocket-Key, Upgrade holding <c>:protocol</c>.
    /// </summary>
    internal static HandshakeRequestError ValidateHeaders(in UpgradeRequestFields fields, string path, string query,
        HttpHeaderStore? headers, out HandshakeRequest? request, bool extendedConnect = false)
    {
        request = null;
        string? host = fields.Host is null ? null : HttpSyntax.TrimOws(fields.Host).ToString();
        if (string.IsNullOrEmpty(host) || host.AsSpan().ContainsAnyExcept(HttpSyntax.HostChars)) return HandshakeRequestError.InvalidHost;
        if (fields.Upgrade is null || !(extendedConnect
                ? HttpSyntax.TrimOws(fields.Upgrade).Equals("websocket", StringComparison.OrdinalIgnoreCase)
                : HttpSyntax.ListContainsIgnoreCase(fields.Upgrade, "websocket")))
        {
            return HandshakeRequestError.MissingUpgradeWebSocket;
        }
        if (!extendedConnect && (fields.Connection is null || !HttpSyntax.ListContainsIgnoreCase(fields.Connection, "Upgrade"))) return HandshakeRequestError.MissingConnectionUpgrade;
        if (fields.TransferEncoding is not null) return HandshakeRequestError.RequestBodyNotAllowed;
        if (fields.ContentLength is not null && !HttpSyntax.TrimOws(fields.ContentLength).SequenceEqual("0")) return HandshakeRequestError.RequestBodyNotAllowed;
        ReadOnlySpan<char> version = fields.SecWebSocketVersion is null ? default : HttpSyntax.TrimOws(fields.SecWebSocketVersion);
        if (!version.SequenceEqual("13")) return HandshakeRequestError.UnsupportedWebSocketVersion;
        string? key = extendedConnect ? "" : fields.SecWebSocketKey is null ? null : HttpSyntax.TrimOws(fields.SecWebSocketKey).ToString();
        if (key is null || (!extendedConnect && !WebSocketAccept.IsValidKey(key))) return HandshakeRequestError.InvalidKey;

        string? origin = null;
        if (fields.Origin is not null)
        {
            origin = HttpSyntax.TrimOws(fields.Origin).ToString();
            if (origin.Length == 0 || origin.AsSpan().ContainsAnyExceptInRange('!', '~') || origin.Contains(',')) return HandshakeRequestError.InvalidOrigin;
        }

        string[] subprotocols = [];
        if (fields.SecWebSocketProtocol is not null)
        {
            int count = 0;
            var elements = new HttpSyntax.ListEnumerator(fields.SecWebSocketProtocol);
            while (elements.MoveNext())
            {
                if (!HttpSyntax.IsToken(elements.Current)) return HandshakeRequestError.InvalidSubprotocolList;
                count++;
            }
            if (count > 0)
            {
                subprotocols = new string[count];
                elements = new HttpSyntax.ListEnumerator(fields.SecWebSocketProtocol);
                for (int i = 0; elements.MoveNext(); i++) subprotocols[i] = elements.Current.ToString();
            }
        }

        request = new HandshakeRequest(fields.Method!, fields.Protocol!, fields.Target!, path, query, host, origin, key, subprotocols,
            fields.SecWebSocketExtensions, headers);
        return HandshakeRequestError.None;
    }
}
