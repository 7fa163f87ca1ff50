using WsCore.Compression;
using WsCore.Handshake;

namespace WsCore.Pipelines;

/// <summary>The outcome of <see cref="PipeHandshake.ConnectAsync"/>.</summary>
public sealed class ClientHandshakeResult
{
    internal ClientHandshakeResult(HandshakeResponse? response, HandshakeResponseError error, int statusCode)
    {
        Response = response;
        Error = error;
        StatusCode = statusCode;
    }

    /// <summary>True when the server switched protocols and its answer is valid (RFC 6455 §4.1, RFC 7692 §7.1).</summary>
    public bool IsAccepted => Error == HandshakeResponseError.None && Response is not null;

    /// <summary>The server's answer (also set for some failures, e.g. a non-101 status).</summary>
    public HandshakeResponse? Response { get; }

    /// <summary>Why the handshake failed, or <see cref="HandshakeResponseError.None"/>.</summary>
    public HandshakeResponseError Error { get; }

    /// <summary>The HTTP status the server answered with (0 if none was read).</summary>
    public int StatusCode { get; }

    /// <summary>The agreed subprotocol (one the client offered), or null; null too when the handshake failed.</summary>
    public string? Subprotocol => IsAccepted ? Response!.Subprotocol : null;

    /// <summary>
    /// The agreed permessage-deflate parameters, or null when the connection runs without compression (or the handshake
    /// failed): pass them to the connection.
    /// </summary>
    public PerMessageDeflateParameters? PerMessageDeflate => IsAccepted ? Response!.PerMessageDeflate : null;
}
