using System.Diagnostics.CodeAnalysis;

namespace WsCore.Handshake;

/// <summary>
/// A validated WebSocket upgrade request (RFC 6455 §4.2.1): what a host needs for its policy (path, Host,
/// Origin, offered subprotocols and extensions) and to answer (the key).
/// </summary>
public sealed class HandshakeRequest
{
    private readonly HttpHeaderStore? _headers;

    internal HandshakeRequest(string method, string protocol, string target, string path, string query, string host, string? origin,
        string key, string[] subprotocols, string? extensions, HttpHeaderStore? headers)
    {
        Method = method;
        Protocol = protocol;
        Target = target;
        Path = path;
        Query = query;
        Host = host;
        Origin = origin;
        Key = key;
        Subprotocols = subprotocols;
        Extensions = extensions;
        _headers = headers;
    }

    /// <summary>The method: <c>GET</c>, or <c>CONNECT</c> for an extended CONNECT (<see cref="IsExtendedConnect"/>).</summary>
    public string Method { get; }

    /// <summary>The protocol version, e.g. <c>HTTP/1.1</c> (<c>HTTP/2</c> or <c>HTTP/3</c> for an extended CONNECT).</summary>
    public string Protocol { get; }

    /// <summary>
    /// True for a WebSocket over HTTP/2 or HTTP/3 (an extended CONNECT, RFC 8441, validated by
    /// <see cref="ServerHandshake.ValidateExtendedConnect"/>): accepted with a 200 rather than a 101, without a key.
    /// </summary>
    public bool IsExtendedConnect => string.Equals(Method, "CONNECT", StringComparison.Ordinal);

    /// <summary>The request-target exactly as received.</summary>
    public string Target { get; }

    /// <summary>The path of the target (the part after the authority for an absolute URI), never empty; percent-escapes kept.</summary>
    public string Path { get; }

    /// <summary>The query including its leading <c>?</c>, or empty.</summary>
    public string Query { get; }

    /// <summary>The Host header (host and optional port).</summary>
    public string Host { get; }

    /// <summary>The Origin header, or null if absent (non-browser clients usually send none).</summary>
    public string? Origin { get; }

    /// <summary>The Sec-WebSocket-Key: 24 base64 characters; empty for an extended CONNECT, which has none (RFC 8441 §5).</summary>
    public string Key { get; }

    /// <summary>The subprotocols the client offers, in its order of preference; empty if none.</summary>
    public IReadOnlyList<string> Subprotocols { get; }

    /// <summary>
    /// The raw Sec-WebSocket-Extensions offer, every header line joined by ", ", or null if absent. Parse it with
    /// the extension header reader; it is not validated here.
    /// </summary>
    public string? Extensions { get; }

    /// <summary>True if the client offered <paramref name="subprotocol"/> (case-sensitive, as RFC 6455 compares them).</summary>
    public bool OffersSubprotocol(string subprotocol)
    {
        foreach (string offered in Subprotocols)
        {
            if (string.Equals(offered, subprotocol, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>
    /// Looks up any header by name (ASCII case-insensitive); several lines are joined by ", ". Only available
    /// when the request was read by <see cref="HandshakeRequestReader"/>: for one validated from
    /// <see cref="UpgradeRequestFields"/> the host has its own header collection, and this returns false.
    /// </summary>
    public bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        value = null;
        return _headers is not null && _headers.TryGet(name, out value);
    }

    /// <summary>Number of header lines received (0 when validated from <see cref="UpgradeRequestFields"/>).</summary>
    public int HeaderCount => _headers?.Count ?? 0;

    /// <summary>The name of header line <paramref name="index"/>, as received.</summary>
    public string GetHeaderName(int index) => _headers is null ? throw new ArgumentOutOfRangeException(nameof(index)) : _headers.Name(index);

    /// <summary>The value of header line <paramref name="index"/>, without surrounding whitespace.</summary>
    public string GetHeaderValue(int index) => _headers is null ? throw new ArgumentOutOfRangeException(nameof(index)) : _headers.Value(index);
}
