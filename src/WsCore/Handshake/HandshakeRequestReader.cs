using System.Text;

namespace WsCore.Handshake;

/// <summary>
/// Reads and validates an HTTP/1.1 WebSocket upgrade request (RFC 6455 §4.2.1) from raw bytes fed in any split,
/// down to one byte at a time. Sans-I/O: it never blocks, never throws for peer data, does work linear in the
/// input, and keeps at most <see cref="HandshakeOptions.MaxHeaderBytes"/> bytes. Bytes after the blank line that
/// ends the head (early WebSocket frames) are never consumed. One reader per connection; <see cref="Reset"/> reuses it.
/// </summary>
/// <example>
/// <code>
/// var status = reader.Read(received, out int consumed);
/// // NeedMoreData: read more. Rejected: send HandshakeResponseWriter.WriteRejection(..., reader.Error).
/// // Done: reader.Request holds the request; received[consumed..] are the first frame bytes.
/// </code>
/// </example>
public sealed class HandshakeRequestReader
{
    private readonly HttpHeadBuffer _head;
    private string _method = "";
    private string _protocol = "";
    private string _target = "";
    private string _path = "";
    private string _query = "";

    /// <summary>Creates a reader with <paramref name="options"/>, or <see cref="HandshakeOptions.Default"/> if null.</summary>
    public HandshakeRequestReader(HandshakeOptions? options = null) => _head = new HttpHeadBuffer(options ?? HandshakeOptions.Default);

    /// <summary>Where the reader is: <see cref="HandshakeReadStatus.NeedMoreData"/> until done or rejected.</summary>
    public HandshakeReadStatus Status { get; private set; }

    /// <summary>Why the request was rejected, or <see cref="HandshakeRequestError.None"/>.</summary>
    public HandshakeRequestError Error { get; private set; }

    /// <summary>The HTTP status to answer a rejected request with (see <see cref="HandshakeRequestErrors"/>); 0 otherwise.</summary>
    public int RejectionStatusCode => HandshakeRequestErrors.StatusCode(Error);

    /// <summary>The validated request once <see cref="Status"/> is <see cref="HandshakeReadStatus.Done"/>, otherwise null.</summary>
    public HandshakeRequest? Request { get; private set; }

    /// <summary>Total bytes of the head consumed so far (request line through the blank line).</summary>
    public int HeadLength => _head.Bytes.Length;

    /// <summary>Bytes examined internally so far; at most twice the bytes consumed. Exposed for linear-work tests.</summary>
    internal long BytesExamined => _head.BytesExamined;

    /// <summary>
    /// Feeds the next bytes received. Consumes bytes up to and including the blank line that ends the head and
    /// no further.
    /// </summary>
    /// <param name="input">The next bytes from the connection (any length, including 0).</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="input"/> belong to the request head. Once
    /// <see cref="HandshakeReadStatus.Done"/>, <c>input[bytesConsumed..]</c> belongs to the frame parser. 0 after a rejection.</param>
    /// <returns>Need more data, done, or rejected (see <see cref="Error"/>). Calls after done or rejected consume nothing and return the same status.</returns>
    public HandshakeReadStatus Read(ReadOnlySpan<byte> input, out int bytesConsumed)
    {
        bytesConsumed = 0;
        if (Status != HandshakeReadStatus.NeedMoreData) return Status;
        while (true)
        {
            HeadProgress progress = _head.Append(input.Slice(bytesConsumed), out int consumed);
            bytesConsumed += consumed;
            switch (progress)
            {
                case HeadProgress.NeedMoreData:
                    return HandshakeReadStatus.NeedMoreData;
                case HeadProgress.Error:
                    bytesConsumed = 0;
                    return Reject(MapHeadError(_head.Error));
                case HeadProgress.StartLineComplete:
                    HandshakeRequestError lineError = ParseRequestLine(_head.StartLine);
                    if (lineError != HandshakeRequestError.None)
                    {
                        bytesConsumed = 0;
                        return Reject(lineError);
                    }
                    break;
                case HeadProgress.Complete:
                    HandshakeRequestError error = Finish();
                    if (error != HandshakeRequestError.None)
                    {
                        bytesConsumed = 0;
                        return Reject(error);
                    }
                    Status = HandshakeReadStatus.Done;
                    return Status;
            }
        }
    }

    /// <summary>Forgets the current request so the reader (and its buffer) can read another one.</summary>
    public void Reset()
    {
        _head.Reset();
        Status = HandshakeReadStatus.NeedMoreData;
        Error = HandshakeRequestError.None;
        Request = null;
        _method = _protocol = _target = _path = _query = "";
    }

    private HandshakeReadStatus Reject(HandshakeRequestError error)
    {
        Error = error;
        Status = HandshakeReadStatus.Rejected;
        return Status;
    }

    private HandshakeRequestError ParseRequestLine(ReadOnlySpan<byte> line)
    {
        // method SP request-target SP HTTP-version, exactly one SP between (RFC 9112 §3).
        int firstSpace = line.IndexOf((byte)' ');
        if (firstSpace <= 0) return HandshakeRequestError.InvalidRequestLine;
        ReadOnlySpan<byte> method = line.Slice(0, firstSpace);
        ReadOnlySpan<byte> afterMethod = line.Slice(firstSpace + 1);
        int secondSpace = afterMethod.IndexOf((byte)' ');
        if (secondSpace < 0) return HandshakeRequestError.InvalidRequestLine;
        ReadOnlySpan<byte> target = afterMethod.Slice(0, secondSpace);
        ReadOnlySpan<byte> version = afterMethod.Slice(secondSpace + 1);
        if (!HttpSyntax.IsToken(method) || version.Length != 8 || version.ContainsAnyExcept(HttpSyntax.VisibleAsciiBytes))
        {
            return HandshakeRequestError.InvalidRequestLine;
        }
        if (target.IsEmpty) return HandshakeRequestError.InvalidRequestLine;
        if (target.ContainsAnyExcept(HttpSyntax.VisibleAsciiBytes)) return HandshakeRequestError.InvalidRequestTarget;
        _method = method.SequenceEqual("GET"u8) ? "GET" : Encoding.ASCII.GetString(method);
        _protocol = version.SequenceEqual("HTTP/1.1"u8) ? "HTTP/1.1" : Encoding.ASCII.GetString(version);
        _target = Encoding.ASCII.GetString(target);
        return ServerHandshake.ValidateRequestLine(_method, _protocol, _target, out _path, out _query);
    }

    private HandshakeRequestError Finish()
    {
        HttpHeaderStore headers = _head.Snapshot();
        // RFC 6455 §4.1 item 4: exactly one Host. A repeated Origin, Key or Version is caught by the
        // value checks on the joined value; Host is counted because a joined "a, b" could pass.
        if (headers.CountOf("Host"u8) != 1) return HandshakeRequestError.InvalidHost;
        var fields = new UpgradeRequestFields
        {
            Method = _method,
            Protocol = _protocol,
            Target = _target,
            Host = headers.Joined("Host"u8),
            Upgrade = headers.Joined("Upgrade"u8),
            Connection = headers.Joined("Connection"u8),
            SecWebSocketKey = headers.Joined("Sec-WebSocket-Key"u8),
            SecWebSocketVersion = headers.Joined("Sec-WebSocket-Version"u8),
            Origin = headers.Joined("Origin"u8),
            SecWebSocketProtocol = headers.Joined("Sec-WebSocket-Protocol"u8),
            SecWebSocketExtensions = headers.Joined("Sec-WebSocket-Extensions"u8),
            ContentLength = headers.Joined("Content-Length"u8),
            TransferEncoding = headers.Joined("Transfer-Encoding"u8),
        };
        HandshakeRequestError error = ServerHandshake.ValidateHeaders(in fields, _path, _query, headers, out HandshakeRequest? request);
        Request = request;
        return error;
    }

    private static HandshakeRequestError MapHeadError(HeadError error) => error switch
    {
        HeadError.InvalidLineEnding => HandshakeRequestError.InvalidLineEnding,
        HeadError.StartLineTooLong => HandshakeRequestError.RequestLineTooLong,
        HeadError.HeaderLineTooLong => HandshakeRequestError.HeaderLineTooLong,
        HeadError.HeadTooLarge => HandshakeRequestError.HeadersTooLarge,
        HeadError.TooManyHeaders => HandshakeRequestError.TooManyHeaders,
        HeadError.ObsoleteLineFolding => HandshakeRequestError.ObsoleteLineFolding,
        HeadError.MissingColon => HandshakeRequestError.MissingColon,
        HeadError.WhitespaceBeforeColon => HandshakeRequestError.WhitespaceBeforeColon,
        HeadError.InvalidHeaderName => HandshakeRequestError.InvalidHeaderName,
        HeadError.InvalidHeaderValue => HandshakeRequestError.InvalidHeaderValue,
        _ => HandshakeRequestError.InvalidRequestLine,
    };
}
