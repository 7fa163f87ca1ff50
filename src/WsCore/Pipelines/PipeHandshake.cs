using WsCore.Framing;
using System.Buffers;
using System.IO.Pipelines;
using WsCore.Compression;
using WsCore.Diagnostics;
using WsCore.Handshake;
using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>
/// The RFC 6455 opening handshake over an <see cref="IDuplexPipe"/>, for both roles, built on the sans-I/O readers and
/// writers of <see cref="WsCore.Handshake"/>. Bytes that follow the handshake head stay in the pipe for the
/// <see cref="WebSocketConnection"/>.
/// </summary>
public static class PipeHandshake
{
    /// <summary>
    /// Server side: reads the upgrade request, validates it, asks <paramref name="policy"/> (when given), negotiates
    /// permessage-deflate against <paramref name="perMessageDeflate"/> (<see cref="ServerHandshake.CreateResponse"/>) and
    /// answers with 101 or a rejection (400, 403, 404, 426, 431, ...). The result carries the agreed subprotocol and
    /// permessage-deflate parameters. A rejected transport should be closed by the caller.
    /// </summary>
    /// <param name="transport">The accepted connection.</param>
    /// <param name="policy">Decides on a valid request (subprotocol, Origin, path, rejection); accepts everything when null.</param>
    /// <param name="options">Header limits; defaults when null.</param>
    /// <param name="perMessageDeflate">The server's permessage-deflate policy: the options the connection will run with
    /// (<c>WebSocketProtocolOptions.PerMessageDeflate</c>); null or disabled to decline compression.</param>
    /// <param name="cancellationToken">Cancels the handshake (an <see cref="OperationCanceledException"/>); the timeout is
    /// <see cref="HandshakeOptions.Timeout"/> (default 10 s), after which an incomplete request is answered with 408 and
    /// the result's error is <see cref="HandshakeRequestError.TimedOut"/>.</param>
    /// <exception cref="ArgumentException">The policy's decision is a server bug (e.g. a subprotocol the client did not
    /// offer; see <see cref="ServerHandshake.CreateResponse"/>). The client is answered 500 Internal Server Error first,
    /// so it fails at once; nothing the policy chose is sent.</exception>
    public static ValueTask<ServerHandshakeResult> AcceptAsync(IDuplexPipe transport, Func<HandshakeRequest, ServerHandshakeDecision>? policy = null,
        HandshakeOptions? options = null, PerMessageDeflateOptions? perMessageDeflate = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        options ??= HandshakeOptions.Default;
        return AcceptCoreAsync(transport, policy, options, perMessageDeflate, options.Timeout, options.TimeProvider, cancellationToken);
    }

    /// <summary><see cref="AcceptAsync"/> with the timeout given apart (a host's own setting, e.g. <see cref="WebSocketServerOptions.HandshakeTimeout"/>).</summary>
    internal static async ValueTask<ServerHandshakeResult> AcceptCoreAsync(IDuplexPipe transport, Func<HandshakeRequest, ServerHandshakeDecision>? policy,
        HandshakeOptions options, PerMessageDeflateOptions? perMessageDeflate, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        time ??= TimeProvider.System;
        long started = time.GetTimestamp();
        using var deadline = Deadline.Start(timeout, time, cancellationToken);
        ServerHandshakeResult result;
        try
        {
            result = await AcceptUntilAsync(transport, policy, options, perMessageDeflate, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.HasExpired)
        {
            // A slowloris client (or one that stopped reading our answer): tell it why, without waiting long, and report it.
            await TryRejectAsync(transport.Output, HandshakeRequestError.TimedOut, time).ConfigureAwait(false);
            result = new ServerHandshakeResult(null, default, null, HandshakeRequestError.TimedOut);
        }
        catch (Exception e)
        {
            // The caller's cancellation, a failed transport, or a policy bug (answered 500): counted, then the caller's.
            WsCoreMetrics.RecordHandshake(WebSocketRole.Server, HandshakeOutcome.Failed, e is ArgumentException ? 500 : 0, time.GetElapsedTime(started));
            throw;
        }
        RecordServer(result, time.GetElapsedTime(started));
        return result;
    }

    private static void RecordServer(ServerHandshakeResult result, TimeSpan duration)
    {
        if (result.IsAccepted)
        {
            WsCoreMetrics.RecordHandshake(WebSocketRole.Server, HandshakeOutcome.Accepted, result.Response!.StatusCode, duration);
        }
        else if (result.Error == HandshakeRequestError.TimedOut)
        {
            WsCoreMetrics.RecordHandshake(WebSocketRole.Server, HandshakeOutcome.TimedOut, 408, duration);
        }
        else if (result.Error == HandshakeRequestError.IncompleteRequest)
        {
            WsCoreMetrics.RecordHandshake(WebSocketRole.Server, HandshakeOutcome.Failed, 0, duration); // no answer sent
        }
        else
        {
            int status = result.Error != HandshakeRequestError.None ? HandshakeRequestErrors.StatusCode(result.Error) : result.Response?.StatusCode ?? 0;
            WsCoreMetrics.RecordHandshake(WebSocketRole.Server, HandshakeOutcome.Rejected, status, duration);
        }
    }

    private static async ValueTask<ServerHandshakeResult> AcceptUntilAsync(IDuplexPipe transport, Func<HandshakeRequest, ServerHandshakeDecision>? policy,
        HandshakeOptions options, PerMessageDeflateOptions? perMessageDeflate, CancellationToken cancellationToken)
    {
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
            return new ServerHandshakeResult(null, default, null, error);
        }
        HandshakeRequest request = reader.Request!;
        ServerHandshakeDecision decision = policy?.Invoke(request) ?? ServerHandshakeDecision.Accept();
        ServerHandshakeResponse response;
        try
        {
            response = ServerHandshake.CreateResponse(request, decision, perMessageDeflate);
        }
        catch (ArgumentException)
        {
            // A bug in the policy: tell the client at once rather than leave it waiting, then report it to the server.
            HandshakeResponseWriter.WriteRejection(transport.Output, 500, "");
            await transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            throw;
        }
        response.Write(transport.Output);
        await transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new ServerHandshakeResult(request, decision, response, HandshakeRequestError.None);
    }

    /// <summary>Answers a request that timed out with its status; gives up after a second (a peer that does not read).</summary>
    private static async ValueTask TryRejectAsync(PipeWriter output, HandshakeRequestError error, TimeProvider time)
    {
        try
        {
            HandshakeResponseWriter.WriteRejection(output, error);
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(1), time);
            await output.FlushAsync(bound.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The transport is closed by the caller either way.
        }
    }

    /// <summary>
    /// Client side: sends the upgrade request (with a fresh key) and reads and validates the server's answer with every
    /// RFC 6455 §4.1 rule (<see cref="HandshakeResponseReader"/>): a subprotocol or an extension the request did not
    /// offer, or a permessage-deflate answer that does not fit the offer, fails the handshake. The result carries the
    /// agreed subprotocol and permessage-deflate parameters.
    /// </summary>
    /// <param name="transport">The connected transport.</param>
    /// <param name="request">What to ask for: host, target, origin, subprotocols, permessage-deflate policy.</param>
    /// <param name="options">Header limits; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the handshake (an <see cref="OperationCanceledException"/>); the timeout is
    /// <see cref="HandshakeOptions.Timeout"/> (default 10 s), after which the result's error is
    /// <see cref="HandshakeResponseError.TimedOut"/>.</param>
    public static async ValueTask<ClientHandshakeResult> ConnectAsync(IDuplexPipe transport, ClientUpgradeRequest request,
        HandshakeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(request);
        options ??= HandshakeOptions.Default;
        TimeProvider time = options.TimeProvider ?? TimeProvider.System;
        long started = time.GetTimestamp();
        using var deadline = Deadline.Start(options.Timeout, time, cancellationToken);
        ClientHandshakeResult result;
        try
        {
            string key = HandshakeRequestWriter.Write(transport.Output, request);
            await transport.Output.FlushAsync(deadline.Token).ConfigureAwait(false);
            var reader = new HandshakeResponseReader(request, key, options);
            HandshakeReadStatus status = await ReadHeadAsync(transport.Input, (ReadOnlySpan<byte> span, out int consumed) => reader.Read(span, out consumed), deadline.Token).ConfigureAwait(false);
            HandshakeResponseError error = status == HandshakeReadStatus.Done ? HandshakeResponseError.None
                : reader.Error == HandshakeResponseError.None ? HandshakeResponseError.IncompleteResponse : reader.Error;
            result = new ClientHandshakeResult(reader.Response, error, reader.StatusCode);
        }
        catch (OperationCanceledException) when (deadline.HasExpired)
        {
            result = new ClientHandshakeResult(null, HandshakeResponseError.TimedOut, 0);
        }
        catch (Exception)
        {
            WsCoreMetrics.RecordHandshake(WebSocketRole.Client, HandshakeOutcome.Failed, 0, time.GetElapsedTime(started));
            throw;
        }
        HandshakeOutcome outcome = result.IsAccepted ? HandshakeOutcome.Accepted
            : result.Error == HandshakeResponseError.TimedOut ? HandshakeOutcome.TimedOut
            : result.Error == HandshakeResponseError.UnexpectedStatusCode ? HandshakeOutcome.Rejected
            : HandshakeOutcome.Failed;
        WsCoreMetrics.RecordHandshake(WebSocketRole.Client, outcome, result.StatusCode, time.GetElapsedTime(started));
        return result;
    }

    /// <summary>
    /// The handshake's deadline on its <see cref="TimeProvider"/>, joined with the caller's token. <see cref="HasExpired"/>
    /// tells the deadline from the caller's cancellation (which is the caller's and is rethrown).
    /// </summary>
    private readonly struct Deadline : IDisposable
    {
        private readonly CancellationTokenSource? _timer;
        private readonly CancellationTokenSource? _linked;
        private readonly CancellationToken _caller;

        private Deadline(CancellationTokenSource? timer, CancellationTokenSource? linked, CancellationToken caller)
        {
            _timer = timer;
            _linked = linked;
            _caller = caller;
        }

        public static Deadline Start(TimeSpan timeout, TimeProvider time, CancellationToken caller)
        {
            if (timeout <= TimeSpan.Zero || timeout == System.Threading.Timeout.InfiniteTimeSpan) return new Deadline(null, null, caller);
            var timer = new CancellationTokenSource(timeout, time ?? TimeProvider.System);
            CancellationTokenSource? linked = caller.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(caller, timer.Token) : null;
            return new Deadline(timer, linked, caller);
        }

        public CancellationToken Token => _linked?.Token ?? _timer?.Token ?? _caller;

        public bool HasExpired => _timer is { IsCancellationRequested: true } && !_caller.IsCancellationRequested;

        public void Dispose()
        {
            _linked?.Dispose();
            _timer?.Dispose();
        }
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
