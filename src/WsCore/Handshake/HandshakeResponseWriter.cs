using System.Buffers;

namespace WsCore.Handshake;

/// <summary>
/// Server side: writes the 101 Switching Protocols answer (RFC 6455 §4.2.2) or a rejection response into caller
/// memory. Values the host supplies are checked (a CR or LF in them would split the response): such a bug throws
/// <see cref="ArgumentException"/>; nothing here depends on peer data in a way that can throw.
/// </summary>
public static class HandshakeResponseWriter
{
    /// <summary>Writes the 101 answer into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the response head goes.</param>
    /// <param name="key">The client's Sec-WebSocket-Key (<see cref="HandshakeRequest.Key"/>).</param>
    /// <param name="subprotocol">The chosen subprotocol (one the client offered), or null for none.</param>
    /// <param name="extensions">The Sec-WebSocket-Extensions answer, or null for none.</param>
    /// <param name="bytesWritten">Length of the response, or 0 if it did not fit.</param>
    /// <returns>False if <paramref name="destination"/> is too short.</returns>
    public static bool TryWriteSwitchingProtocols(Span<byte> destination, ReadOnlySpan<char> key, string? subprotocol, string? extensions,
        out int bytesWritten) => TryWriteSwitchingProtocols(destination, key, subprotocol, extensions, default, out bytesWritten);

    /// <summary>Writes the 101 answer, with extra headers, into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the response head goes.</param>
    /// <param name="key">The client's Sec-WebSocket-Key (<see cref="HandshakeRequest.Key"/>).</param>
    /// <param name="subprotocol">The chosen subprotocol (one the client offered), or null for none.</param>
    /// <param name="extensions">The Sec-WebSocket-Extensions answer, or null for none.</param>
    /// <param name="extraHeaders">More headers to send (e.g. Set-Cookie), in order.</param>
    /// <param name="bytesWritten">Length of the response, or 0 if it did not fit.</param>
    /// <returns>False if <paramref name="destination"/> is too short.</returns>
    public static bool TryWriteSwitchingProtocols(Span<byte> destination, ReadOnlySpan<char> key, string? subprotocol, string? extensions,
        ReadOnlySpan<KeyValuePair<string, string>> extraHeaders, out int bytesWritten)
    {
        Span<byte> accept = stackalloc byte[WebSocketAccept.AcceptLength];
        CheckSwitchingProtocols(key, subprotocol, extensions, extraHeaders, accept);
        var writer = new HeadWriter(destination, measureOnly: false);
        BuildSwitchingProtocols(ref writer, accept, subprotocol, extensions, extraHeaders);
        bytesWritten = writer.Overflow ? 0 : writer.Length;
        return !writer.Overflow;
    }

    /// <summary>Writes the 101 answer to <paramref name="output"/> (one GetSpan, one Advance).</summary>
    /// <param name="output">Receives the response head.</param>
    /// <param name="key">The client's Sec-WebSocket-Key.</param>
    /// <param name="subprotocol">The chosen subprotocol, or null.</param>
    /// <param name="extensions">The Sec-WebSocket-Extensions answer, or null.</param>
    /// <param name="extraHeaders">More headers to send, in order.</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteSwitchingProtocols(IBufferWriter<byte> output, ReadOnlySpan<char> key, string? subprotocol = null, string? extensions = null,
        ReadOnlySpan<KeyValuePair<string, string>> extraHeaders = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        Span<byte> accept = stackalloc byte[WebSocketAccept.AcceptLength];
        CheckSwitchingProtocols(key, subprotocol, extensions, extraHeaders, accept);
        var measure = new HeadWriter(default, measureOnly: true);
        BuildSwitchingProtocols(ref measure, accept, subprotocol, extensions, extraHeaders);
        var writer = new HeadWriter(output.GetSpan(measure.Length), measureOnly: false);
        BuildSwitchingProtocols(ref writer, accept, subprotocol, extensions, extraHeaders);
        if (writer.Overflow) throw new InvalidOperationException("The buffer writer returned a span shorter than requested.");
        output.Advance(writer.Length);
        return writer.Length;
    }

    /// <summary>Writes the rejection response for <paramref name="error"/>: its status, reason body, <c>Connection: close</c>.</summary>
    /// <param name="destination">Where the response goes.</param>
    /// <param name="error">Why the request was rejected (not <see cref="HandshakeRequestError.None"/>).</param>
    /// <param name="bytesWritten">Length of the response, or 0 if it did not fit.</param>
    /// <returns>False if <paramref name="destination"/> is too short.</returns>
    public static bool TryWriteRejection(Span<byte> destination, HandshakeRequestError error, out int bytesWritten)
    {
        if (error == HandshakeRequestError.None) throw new ArgumentException("There is no error to reject with.", nameof(error));
        return TryWriteRejection(destination, HandshakeRequestErrors.StatusCode(error), HandshakeRequestErrors.Reason(error), default, out bytesWritten);
    }

    /// <summary>
    /// Writes a rejection response: status line, <c>Connection: close</c>, a text/plain body holding
    /// <paramref name="reason"/> with its Content-Length, and the headers the status calls for (426 adds
    /// <c>Sec-WebSocket-Version: 13</c> and <c>Upgrade: websocket</c>; 405 adds <c>Allow: GET</c>).
    /// </summary>
    /// <param name="destination">Where the response goes.</param>
    /// <param name="statusCode">A 4xx or 5xx status (e.g. 400, 403, 404, 426, 431).</param>
    /// <param name="reason">The body text (UTF-8 encoded); may be empty.</param>
    /// <param name="extraHeaders">More headers to send, in order.</param>
    /// <param name="bytesWritten">Length of the response, or 0 if it did not fit.</param>
    /// <returns>False if <paramref name="destination"/> is too short.</returns>
    public static bool TryWriteRejection(Span<byte> destination, int statusCode, string reason, ReadOnlySpan<KeyValuePair<string, string>> extraHeaders,
        out int bytesWritten)
    {
        CheckRejection(statusCode, reason, extraHeaders);
        var writer = new HeadWriter(destination, measureOnly: false);
        BuildRejection(ref writer, statusCode, reason, extraHeaders);
        bytesWritten = writer.Overflow ? 0 : writer.Length;
        return !writer.Overflow;
    }

    /// <summary>Writes the rejection response for <paramref name="error"/> to <paramref name="output"/>.</summary>
    /// <param name="output">Receives the response.</param>
    /// <param name="error">Why the request was rejected (not <see cref="HandshakeRequestError.None"/>).</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteRejection(IBufferWriter<byte> output, HandshakeRequestError error)
    {
        if (error == HandshakeRequestError.None) throw new ArgumentException("There is no error to reject with.", nameof(error));
        return WriteRejection(output, HandshakeRequestErrors.StatusCode(error), HandshakeRequestErrors.Reason(error));
    }

    /// <summary>Writes a rejection response to <paramref name="output"/>; see <see cref="TryWriteRejection(Span{byte}, int, string, ReadOnlySpan{KeyValuePair{string, string}}, out int)"/>.</summary>
    /// <param name="output">Receives the response.</param>
    /// <param name="statusCode">A 4xx or 5xx status.</param>
    /// <param name="reason">The body text.</param>
    /// <param name="extraHeaders">More headers to send, in order.</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteRejection(IBufferWriter<byte> output, int statusCode, string reason, ReadOnlySpan<KeyValuePair<string, string>> extraHeaders = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        CheckRejection(statusCode, reason, extraHeaders);
        var measure = new HeadWriter(default, measureOnly: true);
        BuildRejection(ref measure, statusCode, reason, extraHeaders);
        var writer = new HeadWriter(output.GetSpan(measure.Length), measureOnly: false);
        BuildRejection(ref writer, statusCode, reason, extraHeaders);
        if (writer.Overflow) throw new InvalidOperationException("The buffer writer returned a span shorter than requested.");
        output.Advance(writer.Length);
        return writer.Length;
    }

    /// <summary>The standard reason phrase for <paramref name="statusCode"/>, or "Error" for one we do not know.</summary>
    public static string ReasonPhrase(int statusCode) => statusCode switch
    {
        101 => "Switching Protocols",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        414 => "URI Too Long",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };

    private static void CheckSwitchingProtocols(ReadOnlySpan<char> key, string? subprotocol, string? extensions,
        ReadOnlySpan<KeyValuePair<string, string>> extraHeaders, Span<byte> accept)
    {
        if (WebSocketAccept.TryCompute(key, accept, out _) != OperationStatus.Done) throw new ArgumentException("The key must be ASCII and at most 256 characters.", nameof(key));
        if (subprotocol is not null && !HttpSyntax.IsToken(subprotocol)) throw new ArgumentException("A subprotocol must be a token.", nameof(subprotocol));
        if (extensions is not null) HeadWriter.CheckValue(extensions, nameof(extensions));
        HeadWriter.CheckExtraHeaders(extraHeaders, nameof(extraHeaders));
    }

    private static void BuildSwitchingProtocols(ref HeadWriter writer, scoped ReadOnlySpan<byte> accept, string? subprotocol, string? extensions,
        scoped ReadOnlySpan<KeyValuePair<string, string>> extraHeaders)
    {
        writer.Write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "u8);
        writer.Write(accept);
        writer.Write("\r\n"u8);
        if (subprotocol is not null) writer.Header("Sec-WebSocket-Protocol"u8, subprotocol);
        if (!string.IsNullOrEmpty(extensions)) writer.Header("Sec-WebSocket-Extensions"u8, extensions);
        HeadWriter.WriteExtraHeaders(ref writer, extraHeaders);
        writer.Write("\r\n"u8);
    }

    private static void CheckRejection(int statusCode, string reason, ReadOnlySpan<KeyValuePair<string, string>> extraHeaders)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        ArgumentNullException.ThrowIfNull(reason);
        HeadWriter.CheckExtraHeaders(extraHeaders, nameof(extraHeaders));
    }

    private static void BuildRejection(ref HeadWriter writer, int statusCode, string reason, scoped ReadOnlySpan<KeyValuePair<string, string>> extraHeaders)
    {
        writer.Write("HTTP/1.1 "u8);
        writer.Write(statusCode);
        writer.Write(" "u8);
        writer.Write(ReasonPhrase(statusCode));
        writer.Write("\r\nConnection: close\r\n"u8);
        if (statusCode == 426) writer.Write("Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"u8);
        if (statusCode == 405) writer.Write("Allow: GET\r\n"u8);
        writer.Write("Content-Type: text/plain; charset=utf-8\r\nContent-Length: "u8);
        writer.Write(System.Text.Encoding.UTF8.GetByteCount(reason));
        writer.Write("\r\n"u8);
        HeadWriter.WriteExtraHeaders(ref writer, extraHeaders);
        writer.Write("\r\n"u8);
        writer.WriteUtf8(reason);
    }
}
