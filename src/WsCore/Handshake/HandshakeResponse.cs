using System.Diagnostics.CodeAnalysis;
using WsCore.Compression;

namespace WsCore.Handshake;

/// <summary>A server's response to the upgrade request, as read by <see cref="HandshakeResponseReader"/>.</summary>
public sealed class HandshakeResponse
{
    private readonly HttpHeaderStore _headers;

    internal HandshakeResponse(int statusCode, string reasonPhrase, string? subprotocol, string? extensions,
        PerMessageDeflateParameters? perMessageDeflate, HttpHeaderStore headers)
    {
        PerMessageDeflate = perMessageDeflate;
        StatusCode = statusCode;
        ReasonPhrase = reasonPhrase;
        Subprotocol = subprotocol;
        Extensions = extensions;
        _headers = headers;
    }

    /// <summary>The status code: 101 for an accepted handshake.</summary>
    public int StatusCode { get; }

    /// <summary>The reason phrase from the status line (may be empty).</summary>
    public string ReasonPhrase { get; }

    /// <summary>The subprotocol the server chose (one the client offered), or null.</summary>
    public string? Subprotocol { get; }

    /// <summary>
    /// The raw Sec-WebSocket-Extensions answer, every line joined by ", ", or null if absent. For an accepted
    /// handshake it was checked against the offer (<see cref="ClientUpgradeRequest.PerMessageDeflate"/>); what it
    /// agrees is <see cref="PerMessageDeflate"/>.
    /// </summary>
    public string? Extensions { get; }

    /// <summary>
    /// The permessage-deflate parameters the server agreed to, validated against the client's offer (RFC 7692 §7.1),
    /// or null when the connection runs without compression. Hand them to the connection.
    /// </summary>
    public PerMessageDeflateParameters? PerMessageDeflate { get; }

    /// <summary>Looks up any header by name (ASCII case-insensitive); several lines are joined by ", ".</summary>
    public bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _headers.TryGet(name, out value);
    }

    /// <summary>Number of header lines received.</summary>
    public int HeaderCount => _headers.Count;

    /// <summary>The name of header line <paramref name="index"/>, as received.</summary>
    public string GetHeaderName(int index) => _headers.Name(index);

    /// <summary>The value of header line <paramref name="index"/>, without surrounding whitespace.</summary>
    public string GetHeaderValue(int index) => _headers.Value(index);
}
