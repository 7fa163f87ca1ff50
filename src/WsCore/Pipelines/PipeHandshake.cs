using System.Buffers;
using System.IO.Pipelines;
using WsCore.Handshake;

namespace WsCore.Pipelines;

/// <summary>What a server's policy decides about an upgrade request that passed RFC 6455 validation.</summary>
public readonly struct ServerHandshakeDecision
{
    private ServerHandshakeDecision(bool accept, string? subprotocol, string? extensions, int statusCode, string? reason)
    {
        IsAccepted = accept;
        Subprotocol = subprotocol;
        Extensions = extensions;
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>True to answer 101 Switching Protocols.</summary>
    public bool IsAccepted { get; }
    /// <summary>The chosen subprotocol (one the client offered), or null.</summary>
    public string? Subprotocol { get; }
    /// <summary>The Sec-WebSocket-Extensions answer, or null.</summary>
    public string? Extensions { get; }
    /// <summary>For a rejection, the HTTP status (e.g. 403, 404).</summary>
    public int StatusCode { get; }
    /// <summary>For a rejection, the reason sent as the body.</summary>
    public string? Reason { get; }

    /// <summary>Accept the request.</summary>
    /// <param name="subprotocol">A subprotocol the client offered, or null for none.</param>
    /// <param name="extensions">The Sec-WebSocket-Extensions answer, or null for none.</param>
    public static ServerHandshakeDecision Accept(string? subprotocol = null, string? extensions = null) => new(true, subprotocol, extensions, 101, null);

    /// <summary>Refuse the request with an HTTP status and a reason.</summary>
    /// <param name="statusCode">A 4xx or 5xx status, e.g. 403 for a disallowed Origin or 404 for an unknown path.</param>
    /// <param name="reason">The body text.</param>
    public static ServerHandshakeDecision Reject(int statusCode, string reason) => new(false, null, null, statusCode, reason);
}

/// <summary>The outcome of <see cref="PipeHandshake.AcceptAsync"/>.</summary>
public sealed class ServerHandshakeResult
{
    internal ServerHandshakeResult(HandshakeRequest? request, ServerHandshakeDecision decision, HandshakeRequestError error)
    {
        Request = request;
        Decision = decision;
        Error = error;
    }

    /// <summary>True when the 101 answer was sent: the transport now carries WebSocket frames.</summary>
    public bool IsAccepted => Decision.IsAccepted && Error == HandshakeRequestError.None;
    /// <summary>The validated request (null when it was malformed).</summary>
    public HandshakeRequest? Request { get; }
    /// <summary>The decision that was sent.</summary>
    public ServerHandshakeDecision Decision { get; }
    /// <summary>Why the request was malformed, or <see cref="HandshakeRequestError.None"/>.</summary>
    public HandshakeRequestError Error { get; }
}

/// <summary>The outcome of <see cref="PipeHandshake.ConnectAsync"/>.</summary>
public sealed class ClientHandshakeResult
{
    internal ClientHandshakeResult(HandshakeResponse? response, HandshakeResponseError error, int statusCode)
    {
        Response = response;
        Error = error;
        StatusCode = statusCode;
    }

    /// <summary>True when the server switched protocols and its answer is valid.</summary>
    public bool IsAccepted => Error == HandshakeResponseError.None && Response is not null;
    /// <summary>The server's answer (also set for some failures, e.g. a non-101 status).</summary>
    public HandshakeResponse? Response { get; }
    /// <summary>Why the handshake failed, or <see cref="HandshakeResponseError.None"/>.</summary>
    public HandshakeResponseError Error { get; }
    /// <summary>The HTTP status the server answered with (0 if none was read).</summary>
    public int StatusCode { get; }
}

/// <summary>
/// The RFC 6455 opening handshake over an <see cref="IDuplexPipe"/>, for both roles, built on the sans-I/O readers and
/// writers of <see cref="WsCore.Handshake"/>. Bytes that follow the handshake head stay in the pipe for the
/// <see cref="WebSocketConnection"/>.
/// </summary>
public static class PipeHandshake
{
    /// <summary>
    /// Server side: reads the upgrade request, validates it, asks <paramref name="policy"/> (when given) and answers with
    /// 101 or a rejection (400, 403, 404, 426, 431, ...). A rejected transport should be closed by the caller.
    /// </summary>
    /// <param name="transport">The accepted connection.</param>
    /// <param name="policy">Decides on a valid request (subprotocol, extensions, Origin, path); accepts everything when null.</param>
    /// <param name="options">Header limits; defaults when null.</param>
    /// <param name="cancellationToken">Bounds the wait for the request (use it as the handshake timeout).</param>
    public static async ValueTask<ServerHandshakeResult> AcceptAsync(IDuplexPipe transport, Func<HandshakeRequest, ServerHandshakeDecision>? policy = null,
        HandshakeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var reader = new HandshakeRequestReader(options);
        HandshakeReadStatus status = await ReadHeadAsync(transport.Input, (ReadOnlySpan<byte> span, out int consumed) => reader.Read(span, out consumed), cancellationToken).ConfigureAwait(false);
        if (status != HandshakeReadStatus.Done)
        {
            HandshakeRequestError error = reader.Error == HandshakeRequestError.None ? HandshakeRequestError.IncompleteRequest : reader.Error;
            if (status == HandshakeReadStatus.Rejected)
            {
                HandshakeResponseWriter.WriteRejection(transport.Output, error);
                await transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            return new ServerHandshakeResult(null, default, error);
        }
        HandshakeRequest request = reader.Request!;
        ServerHandshakeDecision decision = policy?.Invoke(request) ?? ServerHandshakeDecision.Accept();
        if (decision.IsAccepted)
        {
            HandshakeResponseWriter.WriteSwitchingProtocols(transport.Output, request.Key, decision.Subprotocol, decision.Extensions);
        }
        else
        {
            HandshakeResponseWriter.WriteRejection(transport.Output, decision.StatusCode, decision.Reason ?? "");
        }
        await transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new ServerHandshakeResult(request, decision, HandshakeRequestError.None);
    }

    /// <summary>
    /// Client side: sends the upgrade request (with a fresh key) and reads and validates the server's answer.
    /// </summary>
    /// <param name="transport">The connected transport.</param>
    /// <param name="request">What to ask for: host, target, origin, subprotocols, extension offer.</param>
    /// <param name="options">Header limits; defaults when null.</param>
    /// <param name="cancellationToken">Bounds the wait for the answer (use it as the handshake timeout).</param>
    public static async ValueTask<ClientHandshakeResult> ConnectAsync(IDuplexPipe transport, ClientUpgradeRequest request,
        HandshakeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(request);
        string key = HandshakeRequestWriter.Write(transport.Output, request);
        await transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        var reader = new HandshakeResponseReader(request, key, options);
        HandshakeReadStatus status = await ReadHeadAsync(transport.Input, (ReadOnlySpan<byte> span, out int consumed) => reader.Read(span, out consumed), cancellationToken).ConfigureAwait(false);
        HandshakeResponseError error = status == HandshakeReadStatus.Done ? HandshakeResponseError.None
            : reader.Error == HandshakeResponseError.None ? HandshakeResponseError.IncompleteResponse : reader.Error;
        return new ClientHandshakeResult(reader.Response, error, reader.StatusCode);
    }

    private delegate HandshakeReadStatus HeadReader(ReadOnlySpan<byte> input, out int consumed);

    private static async ValueTask<HandshakeReadStatus> ReadHeadAsync(PipeReader input, HeadReader read, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            long consumed = 0;
            HandshakeReadStatus status = HandshakeReadStatus.NeedMoreData;
            foreach (ReadOnlyMemory<byte> segment in buffer)
            {
                status = read(segment.Span, out int used);
                consumed += used;
                if (status != HandshakeReadStatus.NeedMoreData) break;
            }
            input.AdvanceTo(buffer.GetPosition(consumed));
            if (status != HandshakeReadStatus.NeedMoreData) return status;
            if (result.IsCompleted || result.IsCanceled) return HandshakeReadStatus.NeedMoreData;
        }
    }
}
