using System.Text;

namespace WsCore.Handshake;

/// <summary>
/// Reads an HTTP proxy's answer to CONNECT from bytes fed in any split, with the limits of <see cref="HandshakeOptions"/>:
/// any 2xx opens the tunnel (RFC 9110 §9.3.6), anything else is a refusal whose status is kept (407 asks for
/// credentials). No exception for what the proxy sends; bytes after the head are never consumed.
/// </summary>
internal sealed class ProxyConnectResponseReader
{
    private readonly HttpHeadBuffer _head;

    internal ProxyConnectResponseReader(HandshakeOptions? options) => _head = new HttpHeadBuffer(options ?? HandshakeOptions.Default);

    /// <summary>Need more data until the head is complete (then Done) or unacceptable (then Rejected).</summary>
    internal HandshakeReadStatus Status { get; private set; }

    /// <summary>
    /// Why the tunnel was not opened: <see cref="HandshakeResponseError.UnexpectedStatusCode"/> for a status other than
    /// 2xx (see <see cref="StatusCode"/>), a syntax or limit error otherwise.
    /// </summary>
    internal HandshakeResponseError Error { get; private set; }

    /// <summary>The proxy's status code once the status line was read; 0 before.</summary>
    internal int StatusCode { get; private set; }

    /// <summary>The reason phrase of the status line.</summary>
    internal string ReasonPhrase { get; private set; } = "";

    /// <summary>The headers, once the head is complete (e.g. Proxy-Authenticate of a 407).</summary>
    internal HttpHeaderStore? Headers { get; private set; }

    /// <summary>Feeds the next bytes from the proxy.</summary>
    /// <param name="input">The bytes.</param>
    /// <param name="bytesConsumed">How many belong to the head; after Done, the rest is the tunnel's.</param>
    internal HandshakeReadStatus Read(ReadOnlySpan<byte> input, out int bytesConsumed)
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
                    return Reject(_head.Error == HeadError.HeadTooLarge ? HandshakeResponseError.HeadersTooLarge
                        : _head.Error == HeadError.TooManyHeaders ? HandshakeResponseError.TooManyHeaders
                        : _head.Error == HeadError.StartLineTooLong ? HandshakeResponseError.StatusLineTooLong
                        : _head.Error == HeadError.HeaderLineTooLong ? HandshakeResponseError.HeaderLineTooLong
                        : HandshakeResponseError.InvalidStatusLine);
                case HeadProgress.StartLineComplete:
                    if (!HttpSyntax.TryParseStatusLine(_head.StartLine, out int major, out _, out int status, out ReadOnlySpan<byte> reason))
                        return Reject(HandshakeResponseError.InvalidStatusLine);
                    if (major != 1) return Reject(HandshakeResponseError.UnsupportedHttpVersion);
                    StatusCode = status;
                    ReasonPhrase = Encoding.Latin1.GetString(reason);
                    break;
                case HeadProgress.Complete:
                    Headers = _head.Snapshot();
                    if (StatusCode is < 200 or > 299) return Reject(HandshakeResponseError.UnexpectedStatusCode);
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
}
