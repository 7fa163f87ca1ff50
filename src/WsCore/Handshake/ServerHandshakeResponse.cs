using System.Buffers;
using WsCore.Compression;

namespace WsCore.Handshake;

/// <summary>
/// The server's answer to a validated upgrade request, made by <see cref="ServerHandshake.CreateResponse"/> from the
/// policy's decision: the status, the header values to send (Sec-WebSocket-Accept, Sec-WebSocket-Protocol,
/// Sec-WebSocket-Extensions) and what they agree (the subprotocol, the permessage-deflate parameters to run the
/// connection with). A host with its own HTTP stack copies the header values into its response; a host on raw bytes
/// writes it with <see cref="Write"/>.
/// </summary>
public sealed class ServerHandshakeResponse
{
    private readonly string? _key;
    private string? _accept;

    private ServerHandshakeResponse(int statusCode, string? reason, string? key, string? subprotocol, string? extensions,
        PerMessageDeflateParameters? perMessageDeflate)
    {
        StatusCode = statusCode;
        Reason = reason;
        _key = key;
        Subprotocol = subprotocol;
        Extensions = extensions;
        PerMessageDeflate = perMessageDeflate;
    }

    internal static ServerHandshakeResponse SwitchingProtocols(string key, string? subprotocol, string? extensions, PerMessageDeflateParameters? perMessageDeflate)
        => new(101, null, key, subprotocol, extensions, perMessageDeflate);

    internal static ServerHandshakeResponse ExtendedConnectAccepted(string? subprotocol, string? extensions, PerMessageDeflateParameters? perMessageDeflate)
        => new(200, null, null, subprotocol, extensions, perMessageDeflate);

    internal static ServerHandshakeResponse Rejection(int statusCode, string reason) => new(statusCode, reason, null, null, null, null);

    /// <summary>True for a 101 Switching Protocols answer, or the 200 that accepts an extended CONNECT (RFC 8441 §5).</summary>
    public bool IsAccepted => StatusCode is 101 or 200;

    /// <summary>101, 200 (an accepted extended CONNECT), or the rejection's 4xx/5xx status.</summary>
    public int StatusCode { get; }

    /// <summary>For a rejection, the body text; null for 101.</summary>
    public string? Reason { get; }

    /// <summary>The Sec-WebSocket-Accept value (28 base64 characters) for an accepted request; null for a rejection and an extended CONNECT.</summary>
    public string? Accept
    {
        get
        {
            if (_key is null) return null;
            if (_accept is null)
            {
                Span<byte> accept = stackalloc byte[WebSocketAccept.AcceptLength];
                WebSocketAccept.TryCompute(_key.AsSpan(), accept, out _); // the key was validated with the request
                _accept = System.Text.Encoding.ASCII.GetString(accept);
            }
            return _accept;
        }
    }

    /// <summary>The Sec-WebSocket-Protocol value: the agreed subprotocol (one the client offered), or null for none.</summary>
    public string? Subprotocol { get; }

    /// <summary>The Sec-WebSocket-Extensions value, or null to send none.</summary>
    public string? Extensions { get; }

    /// <summary>
    /// The agreed permessage-deflate parameters, or null when the connection runs without compression. Hand them to the
    /// connection (e.g. <c>WebSocketConnection</c>'s constructor).
    /// </summary>
    public PerMessageDeflateParameters? PerMessageDeflate { get; }

    /// <summary>Writes the whole response head (and, for a rejection, its body) to <paramref name="output"/>.</summary>
    /// <param name="output">Receives the response.</param>
    /// <param name="extraHeaders">More headers to send (e.g. Set-Cookie), in order.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException">An extra header is not a valid name or value.</exception>
    /// <exception cref="InvalidOperationException">The answer accepts an extended CONNECT: the host's HTTP/2 or HTTP/3 stack sends it.</exception>
    public int Write(IBufferWriter<byte> output, ReadOnlySpan<KeyValuePair<string, string>> extraHeaders = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ThrowIfExtendedConnect();
        return _key is not null
            ? HandshakeResponseWriter.WriteSwitchingProtocols(output, _key, Subprotocol, Extensions, extraHeaders)
            : HandshakeResponseWriter.WriteRejection(output, StatusCode, Reason ?? "", extraHeaders);
    }

    /// <summary>Writes the whole response into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the response goes.</param>
    /// <param name="bytesWritten">Length of the response, or 0 if it did not fit.</param>
    /// <returns>False if <paramref name="destination"/> is too short.</returns>
    /// <exception cref="InvalidOperationException">The answer accepts an extended CONNECT: the host's HTTP/2 or HTTP/3 stack sends it.</exception>
    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        ThrowIfExtendedConnect();
        return _key is not null
            ? HandshakeResponseWriter.TryWriteSwitchingProtocols(destination, _key, Subprotocol, Extensions, out bytesWritten)
            : HandshakeResponseWriter.TryWriteRejection(destination, StatusCode, Reason ?? "", default, out bytesWritten);
    }

    private void ThrowIfExtendedConnect()
    {
        if (StatusCode == 200) throw new InvalidOperationException("An accepted extended CONNECT (HTTP/2, HTTP/3) is answered by the host's HTTP stack, not as HTTP/1.1 bytes.");
    }
}
