using WsCore.Closing;

namespace WsCore.Pipelines;

/// <summary>
/// A client that keeps a WebSocket connected: it connects, runs the application's session on each connection, and
/// reconnects after a failure or a close that calls for it, with exponential backoff and full jitter
/// (<see cref="ReconnectBackoff"/>). A failed handshake is judged by <see cref="HandshakeFailureGuidance"/> (honouring
/// <c>Retry-After</c>), a closed connection by <see cref="CloseCodeGuidance"/>; advice not to retry ends the loop.
/// <see cref="RunAsync"/> never throws for what the network, the server or the session do: everything ends in its
/// <see cref="ReconnectOutcome"/>, and cancelling its token stops it at once, waiting or connected.
/// </summary>
public sealed class ReconnectingWebSocketClient
{
    private readonly Func<CancellationToken, Task<WebSocketClientConnection>> _connect;
    private readonly ReconnectOptions _options;

    /// <summary>A client for a <c>ws://</c> URI, connecting with <see cref="SocketWebSockets.ConnectAsync"/>.</summary>
    /// <param name="uri">The server.</param>
    /// <param name="clientOptions">Options of each connection; defaults when null.</param>
    /// <param name="options">Backoff options; defaults when null.</param>
    public ReconnectingWebSocketClient(Uri uri, WebSocketClientOptions? clientOptions = null, ReconnectOptions? options = null)
        : this(token => SocketWebSockets.ConnectAsync(uri, clientOptions, token), options)
    {
        ArgumentNullException.ThrowIfNull(uri);
    }

    /// <summary>A client with a connect function of your own (TLS, a proxy, another transport).</summary>
    /// <param name="connect">Opens one connection, or returns why there is none (its <see cref="WebSocketClientConnection.Handshake"/> says the status).</param>
    /// <param name="options">Backoff options; defaults when null.</param>
    public ReconnectingWebSocketClient(Func<CancellationToken, Task<WebSocketClientConnection>> connect, ReconnectOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connect);
        _connect = connect;
        _options = options ?? new ReconnectOptions();
    }

    /// <summary>
    /// Connects and runs <paramref name="session"/> on each connection until advice says stop or
    /// <paramref name="cancellationToken"/> fires. The session receives (and sends) until the connection ends, then
    /// returns; the connection is disposed after it. Its token is <paramref name="cancellationToken"/>.
    /// </summary>
    /// <param name="session">The application's work on one connection.</param>
    /// <param name="cancellationToken">Stops the loop (the connection in use is aborted when the session does not end by itself).</param>
    /// <returns>Why it stopped; never faults for the network, the server or the session.</returns>
    public async Task<ReconnectOutcome> RunAsync(Func<WebSocketConnection, CancellationToken, Task> session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        TimeProvider time = _options.TimeProvider ?? TimeProvider.System;
        int failures = 0, connections = 0, lastStatus = 0, lastClose = 0;
        string? lastFailure = null;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested) return Outcome(ReconnectStopReason.Cancelled);
            if (_options.MaxConsecutiveFailures > 0 && failures >= _options.MaxConsecutiveFailures) return Outcome(ReconnectStopReason.TooManyFailures);
            WebSocketClientConnection? attempt = null;
            try
            {
                attempt = await _connect(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (cancellationToken.IsCancellationRequested) return Outcome(ReconnectStopReason.Cancelled);
                lastFailure = e.Message; // no answer: retried like a connection that failed
            }
            TimeSpan? delay;
            if (attempt?.Connection is WebSocketConnection connection)
            {
                connections++;
                lastStatus = 0;
                lastFailure = null;
                long started = time.GetTimestamp();
                try
                {
                    await using (attempt.ConfigureAwait(false))
                    {
                        using CancellationTokenRegistration abort = cancellationToken.Register(static c => ((WebSocketConnection)c!).Abort(), connection);
                        try
                        {
                            await session(connection, cancellationToken).ConfigureAwait(false);
                        }
                        catch (Exception e) when (!cancellationToken.IsCancellationRequested || e is not OperationCanceledException)
                        {
                            connection.Abort();
                            return Outcome(ReconnectStopReason.SessionFailed, e);
                        }
                        catch (OperationCanceledException)
                        {
                            return Outcome(ReconnectStopReason.Cancelled);
                        }
                        lastClose = connection.PeerCloseCode != 0 ? connection.PeerCloseCode : CloseCodes.AbnormalClosure;
                    }
                }
                catch (Exception)
                {
                    // Disposing a connection never throws for the network; nothing else can.
                }
                if (cancellationToken.IsCancellationRequested) return Outcome(ReconnectStopReason.Cancelled);
                if (!CloseCodeGuidance.ShouldReconnect(lastClose)) return Outcome(ReconnectStopReason.Closed);
                if (time.GetElapsedTime(started) >= _options.MaxDelay) failures = 0; // it stayed up: start the backoff again
                delay = ReconnectBackoff.GetDelay(failures, _options.BaseDelay, _options.MaxDelay, _options.Random);
            }
            else
            {
                ClientHandshakeResult? handshake = attempt?.Handshake;
                lastStatus = handshake?.StatusCode ?? 0;
                if (attempt is not null)
                {
                    lastFailure = attempt.Failure;
                    try { await attempt.DisposeAsync().ConfigureAwait(false); } catch (Exception) { }
                }
                TimeSpan? retryAfter = null;
                if (handshake?.Response is { } response && response.TryGetHeader("Retry-After", out string? value)
                    && HandshakeFailureGuidance.TryParseRetryAfter(value, time.GetUtcNow(), out TimeSpan parsed))
                {
                    retryAfter = parsed;
                }
                // The status the advice is about: the refusal's, 0 for no answer, or 101 for a switch that broke RFC 6455 §4.1.
                int judged = handshake is null || handshake.StatusCode == 0 ? 0
                    : handshake.Error == WsCore.Handshake.HandshakeResponseError.UnexpectedStatusCode ? handshake.StatusCode : 101;
                delay = HandshakeFailureGuidance.GetRetryDelay(judged, retryAfter, failures, _options.BaseDelay, _options.MaxDelay, _options.Random);
                if (delay is null) return Outcome(ReconnectStopReason.HandshakeRefused);
            }
            failures++;
            try
            {
                await Task.Delay(delay.Value, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Outcome(ReconnectStopReason.Cancelled);
            }
        }

        ReconnectOutcome Outcome(ReconnectStopReason reason, Exception? exception = null)
            => new(reason, connections, lastStatus, lastClose, lastFailure, exception);
    }
}
