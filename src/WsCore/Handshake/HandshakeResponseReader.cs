using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using WsCore.Compression;

namespace WsCore.Handshake;

/// <summary>
/// Client side: reads and validates the server's answer to the upgrade request (RFC 6455 §4.1, from "The client
/// MUST validate the server's response") from raw bytes fed in any split. Same guarantees as
/// <see cref="HandshakeRequestReader"/>: no exception for peer data, linear work, bounded memory, and bytes after
/// the head (the server's first frames) are never consumed. Every RFC 6455 §4.1 rule is applied here, once for every
/// adapter: the status, Upgrade, Connection and Sec-WebSocket-Accept, a subprotocol the client offered, and extensions
/// it offered with a permessage-deflate answer that fits the offer (RFC 7692 §7.1), whose parameters
/// <see cref="HandshakeResponse.PerMessageDeflate"/> gives.
/// </summary>
public sealed class HandshakeResponseReader
{
    private readonly HttpHeadBuffer _head;
    private readonly byte[] _expectedAccept = new byte[WebSocketAccept.AcceptLength];
    private readonly string[] _offeredSubprotocols;
    private readonly PerMessageDeflateOptions? _perMessageDeflate; // null when no extension was offered
    private string _reasonPhrase = "";

    /// <summary>Creates a reader for the answer to a request sent with <paramref name="key"/>.</summary>
    /// <param name="key">The Sec-WebSocket-Key the request carried.</param>
    /// <param name="offeredSubprotocols">The subprotocols the request offered; null or empty for none.</param>
    /// <param name="perMessageDeflate">The permessage-deflate policy the request's offer was made from
    /// (<see cref="ClientUpgradeRequest.PerMessageDeflate"/>). Null or disabled: no extension was offered, and any
    /// extension in the answer fails the handshake (<see cref="HandshakeResponseError.ExtensionNotOffered"/>). Enabled:
    /// the answer must be empty or a permessage-deflate answer that fits the offer.</param>
    /// <param name="options">Limits; <see cref="HandshakeOptions.Default"/> if null.</param>
    public HandshakeResponseReader(string key, IReadOnlyList<string>? offeredSubprotocols = null, PerMessageDeflateOptions? perMessageDeflate = null,
        HandshakeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (WebSocketAccept.TryCompute(key, _expectedAccept, out _) != OperationStatus.Done) throw new ArgumentException("The key must be ASCII and at most 256 characters.", nameof(key));
        _offeredSubprotocols = offeredSubprotocols is null ? [] : [.. offeredSubprotocols];
        _perMessageDeflate = perMessageDeflate is { Enabled: true } ? perMessageDeflate : null;
        _head = new HttpHeadBuffer(options ?? HandshakeOptions.Default);
    }

    /// <summary>Creates a reader for the answer to <paramref name="request"/>, sent with <paramref name="key"/>.</summary>
    /// <param name="request">The request as written by <see cref="HandshakeRequestWriter"/>.</param>
    /// <param name="key">The key it was written with.</param>
    /// <param name="options">Limits; <see cref="HandshakeOptions.Default"/> if null.</param>
    public HandshakeResponseReader(ClientUpgradeRequest request, string key, HandshakeOptions? options = null)
        : this(key, request?.Subprotocols, request?.PerMessageDeflate, options)
    {
        ArgumentNullException.ThrowIfNull(request);
    }

    /// <summary>Where the reader is: <see cref="HandshakeReadStatus.NeedMoreData"/> until done or rejected.</summary>
    public HandshakeReadStatus Status { get; private set; }

    /// <summary>Why the handshake failed, or <see cref="HandshakeResponseError.None"/>.</summary>
    public HandshakeResponseError Error { get; private set; }

    /// <summary>The response's status code once the status line was read (e.g. 101, or 401 for a failed handshake); 0 before.</summary>
    public int StatusCode { get; private set; }

    /// <summary>
    /// The response once the whole head was read: set when <see cref="Status"/> is <see cref="HandshakeReadStatus.Done"/>, and
    /// also after a rejection that came after a complete head (e.g. a non-101 status, whose headers such as Location or
    /// WWW-Authenticate the host may want). Null otherwise.
    /// </summary>
    public HandshakeResponse? Response { get; private set; }

    /// <summary>Bytes examined internally so far; at most twice the bytes consumed. Exposed for linear-work tests.</summary>
    internal long BytesExamined => _head.BytesExamined;

    /// <summary>Feeds the next bytes received from the server.</summary>
    /// <param name="input">The next bytes (any length, including 0).</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="input"/> belong to the response head. Once
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
            HandshakeResponseError error;
            switch (progress)
            {
                case HeadProgress.NeedMoreData:
                    return HandshakeReadStatus.NeedMoreData;
                case HeadProgress.Error:
                    bytesConsumed = 0;
                    return Reject(MapHeadError(_head.Error));
                case HeadProgress.StartLineComplete:
                    error = ParseStatusLine(_head.StartLine);
                    if (error != HandshakeResponseError.None)
                    {
                        bytesConsumed = 0;
                        return Reject(error);
                    }
                    break;
                case HeadProgress.Complete:
                    error = Finish();
                    if (error != HandshakeResponseError.None)
                    {
                        bytesConsumed = 0;
                        return Reject(error);
                    }
                    Status = HandshakeReadStatus.Done;
                    return Status;
            }
        }
    }

    private HandshakeReadStatus Reject(HandshakeResponseError error)
    {
        Error = error;
        Status = HandshakeReadStatus.Rejected;
        return Status;
    }

    private HandshakeResponseError ParseStatusLine(ReadOnlySpan<byte> line)
    {
        if (!HttpSyntax.TryParseStatusLine(line, out int major, out int minor, out int status, out ReadOnlySpan<byte> reason)) return HandshakeResponseError.InvalidStatusLine;
        if (!HttpSyntax.IsUpgradableVersion(major, minor)) return HandshakeResponseError.UnsupportedHttpVersion;
        StatusCode = status;
        _reasonPhrase = reason.IsEmpty ? "" : reason.SequenceEqual("Switching Protocols"u8) ? "Switching Protocols" : Encoding.Latin1.GetString(reason);
        return HandshakeResponseError.None;
    }

    private HandshakeResponseError Finish()
    {
        HttpHeaderStore headers = _head.Snapshot();
        if (StatusCode != 101)
        {
            Response = new HandshakeResponse(StatusCode, _reasonPhrase, null, headers.Joined("Sec-WebSocket-Extensions"u8), null, headers);
            return HandshakeResponseError.UnexpectedStatusCode;
        }
        string? upgrade = headers.Joined("Upgrade"u8);
        if (upgrade is null || !HttpSyntax.TrimOws(upgrade).Equals("websocket", StringComparison.OrdinalIgnoreCase)) return HandshakeResponseError.MissingUpgradeWebSocket;
        string? connection = headers.Joined("Connection"u8);
        if (connection is null || !HttpSyntax.ListContainsIgnoreCase(connection, "Upgrade")) return HandshakeResponseError.MissingConnectionUpgrade;

        int acceptLine = -1;
        for (int i = 0; i < headers.Count; i++)
        {
            if (!HttpSyntax.NameEquals(headers.NameBytes(i), "Sec-WebSocket-Accept"u8)) continue;
            if (acceptLine >= 0) return HandshakeResponseError.MissingAccept;
            acceptLine = i;
        }
        if (acceptLine < 0) return HandshakeResponseError.MissingAccept;
        ReadOnlySpan<byte> accept = headers.ValueBytes(acceptLine);
        if (accept.Length != WebSocketAccept.AcceptLength || !CryptographicOperations.FixedTimeEquals(accept, _expectedAccept)) return HandshakeResponseError.AcceptMismatch;

        string? subprotocol = null;
        int protocolLines = headers.CountOf("Sec-WebSocket-Protocol"u8);
        if (protocolLines > 1) return HandshakeResponseError.SubprotocolNotOffered;
        if (protocolLines == 1)
        {
            string chosen = headers.Joined("Sec-WebSocket-Protocol"u8)!;
            foreach (string offered in _offeredSubprotocols)
            {
                if (string.Equals(offered, chosen, StringComparison.Ordinal)) subprotocol = offered;
            }
            if (subprotocol is null) return HandshakeResponseError.SubprotocolNotOffered;
        }

        string? extensions = headers.Joined("Sec-WebSocket-Extensions"u8);
        HandshakeResponseError extensionError = CheckExtensions(extensions, out PerMessageDeflateParameters? perMessageDeflate);
        if (extensionError != HandshakeResponseError.None) return extensionError;
        Response = new HandshakeResponse(StatusCode, _reasonPhrase, subprotocol, extensions, perMessageDeflate, headers);
        return HandshakeResponseError.None;
    }

    /// <summary>RFC 6455 §4.1: only extensions the client offered; RFC 7692 §7.1: a permessage-deflate answer that fits the offer.</summary>
    private HandshakeResponseError CheckExtensions(string? extensions, out PerMessageDeflateParameters? perMessageDeflate)
    {
        perMessageDeflate = null;
        if (extensions is null) return HandshakeResponseError.None;
        if (_perMessageDeflate is null)
        {
            var elements = new HttpSyntax.ListEnumerator(extensions);
            return elements.MoveNext() ? HandshakeResponseError.ExtensionNotOffered : HandshakeResponseError.None;
        }
        switch (PerMessageDeflateNegotiation.ProcessResponse(_perMessageDeflate, extensions, out PerMessageDeflateParameters agreed))
        {
            case PerMessageDeflateNegotiationResult.Accepted:
                perMessageDeflate = agreed;
                return HandshakeResponseError.None;
            case PerMessageDeflateNegotiationResult.NotNegotiated:
                return HandshakeResponseError.None;
            case PerMessageDeflateNegotiationResult.UnexpectedExtension:
                return HandshakeResponseError.ExtensionNotOffered;
            case PerMessageDeflateNegotiationResult.MalformedHeader:
                return HandshakeResponseError.MalformedExtensions;
            default:
                return HandshakeResponseError.InvalidPerMessageDeflateAnswer;
        }
    }

    private static HandshakeResponseError MapHeadError(HeadError error) => error switch
    {
        HeadError.InvalidLineEnding => HandshakeResponseError.InvalidLineEnding,
        HeadError.StartLineTooLong => HandshakeResponseError.StatusLineTooLong,
        HeadError.HeaderLineTooLong => HandshakeResponseError.HeaderLineTooLong,
        HeadError.HeadTooLarge => HandshakeResponseError.HeadersTooLarge,
        HeadError.TooManyHeaders => HandshakeResponseError.TooManyHeaders,
        HeadError.ObsoleteLineFolding => HandshakeResponseError.ObsoleteLineFolding,
        HeadError.MissingColon => HandshakeResponseError.MissingColon,
        HeadError.WhitespaceBeforeColon => HandshakeResponseError.WhitespaceBeforeColon,
        HeadError.InvalidHeaderName => HandshakeResponseError.InvalidHeaderName,
        HeadError.InvalidHeaderValue => HandshakeResponseError.InvalidHeaderValue,
        _ => HandshakeResponseError.InvalidStatusLine,
    };
}
