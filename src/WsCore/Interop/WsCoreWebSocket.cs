using WsCore.Framing;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using WsCore.Closing;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Interop;

/// <summary>
/// A <see cref="WebSocket"/> over a WsCore <see cref="WebSocketConnection"/>, for code written against
/// System.Net.WebSockets. It behaves like the runtime's managed WebSocket (<c>WebSocket.CreateFromStream</c>): the same
/// state transitions, receive results, close status reporting and exceptions for misuse. Like it, it leaves the reply
/// to the peer's close frame to the application (the state stays <see cref="WebSocketState.CloseReceived"/> until
/// <see cref="CloseOutputAsync"/> or <see cref="CloseAsync"/>).
/// </summary>
/// <remarks>
/// One receive and one send may run at the same time. Cancelling a receive or a send aborts the WebSocket, as the
/// runtime's implementation does. An empty close status (<see cref="WebSocketCloseStatus.Empty"/>) is sent
/// as a close frame without a body (RFC 6455 §5.5.1), never as the reserved code 1005. Differences from it: close codes that RFC 6455 forbids on the wire (1004, 1016-2999,
/// 5000+) are refused with an <see cref="ArgumentException"/>; the protocol limits of
/// <see cref="WebSocketProtocolOptions"/> (frame and message size, UTF-8 checks) apply to received data.
/// </remarks>
public sealed class WsCoreWebSocket : WebSocket
{
    private static readonly WebSocketState[] s_validSendStates = [WebSocketState.Open, WebSocketState.CloseReceived];
    private static readonly WebSocketState[] s_validReceiveStates = [WebSocketState.Open, WebSocketState.CloseSent];
    private static readonly WebSocketState[] s_validCloseOutputStates = [WebSocketState.Open, WebSocketState.CloseReceived];
    private static readonly WebSocketState[] s_validCloseStates = [WebSocketState.Open, WebSocketState.CloseReceived, WebSocketState.CloseSent];

    private readonly WebSocketConnection _connection;
    private readonly string? _subProtocol;
    private readonly Lock _stateLock = new();
    private readonly SemaphoreSlim _receiveMutex = new(1, 1);
    private volatile WebSocketState _state = WebSocketState.Open;
    private bool _disposed;
    private bool _sentCloseFrame;
    private bool _receivedCloseFrame;
    private WebSocketCloseStatus? _closeStatus;
    private string? _closeStatusDescription;
    private bool _lastSendWasFragment;
    private MessageKind _fragmentType;

    /// <summary>Creates a WebSocket over a transport whose opening handshake is done.</summary>
    /// <param name="transport">The transport.</param>
    /// <param name="role">This endpoint's role.</param>
    /// <param name="subProtocol">The subprotocol the handshake agreed on, or null.</param>
    /// <param name="options">Connection options; the peer's close frame is never answered automatically, whatever <see cref="WebSocketProtocolOptions.AutoCloseReply"/> says.
    /// With <paramref name="perMessageDeflate"/>, its <see cref="WebSocketProtocolOptions.PerMessageDeflate"/> gives the compression and memory levels.</param>
    /// <param name="perMessageDeflate">The permessage-deflate parameters the handshake agreed on (e.g.
    /// <see cref="ServerHandshakeResult.PerMessageDeflate"/>, <see cref="ClientHandshakeResult.PerMessageDeflate"/>), or null
    /// to run without compression. With them, every message is sent compressed and compressed messages are received.</param>
    public WsCoreWebSocket(IDuplexPipe transport, WebSocketRole role, string? subProtocol = null, WebSocketConnectionOptions? options = null,
        PerMessageDeflateParameters? perMessageDeflate = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _connection = new WebSocketConnection(transport, role, WithoutAutoCloseReply(options ?? WebSocketConnectionOptions.Default), perMessageDeflate);
        _subProtocol = subProtocol;
    }

    /// <summary>Creates a WebSocket over a connected stream whose opening handshake is done; disposing the WebSocket disposes the stream.</summary>
    /// <param name="stream">A readable and writable stream.</param>
    /// <param name="role">This endpoint's role.</param>
    /// <param name="subProtocol">The subprotocol the handshake agreed on, or null.</param>
    /// <param name="options">Connection options, as for the <see cref="IDuplexPipe"/> constructor.</param>
    /// <param name="perMessageDeflate">The permessage-deflate parameters the handshake agreed on (e.g.
    /// <see cref="ServerHandshakeResponse.PerMessageDeflate"/>), or null to run without compression.</param>
    public WsCoreWebSocket(Stream stream, WebSocketRole role, string? subProtocol = null, WebSocketConnectionOptions? options = null,
        PerMessageDeflateParameters? perMessageDeflate = null)
        : this(DuplexPipe.Create(stream ?? throw new ArgumentNullException(nameof(stream))), role, subProtocol, options, perMessageDeflate)
    {
    }

    /// <summary>Creates the server's WebSocket over a transport whose <see cref="PipeHandshake.AcceptAsync"/> accepted the request, with what it agreed.</summary>
    /// <param name="transport">The transport the handshake ran on.</param>
    /// <param name="handshake">The accepted handshake: its subprotocol and permessage-deflate parameters are used.</param>
    /// <param name="options">Connection options, as for the constructor (pass the ones whose permessage-deflate policy the handshake used).</param>
    /// <exception cref="ArgumentException">The handshake was not accepted.</exception>
    public static WsCoreWebSocket FromHandshake(IDuplexPipe transport, ServerHandshakeResult handshake, WebSocketConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handshake);
        if (!handshake.IsAccepted) throw new ArgumentException("The handshake was not accepted.", nameof(handshake));
        return new WsCoreWebSocket(transport, WebSocketRole.Server, handshake.Subprotocol, options, handshake.PerMessageDeflate);
    }

    /// <summary>Creates the client's WebSocket over a transport whose <see cref="PipeHandshake.ConnectAsync"/> succeeded, with what it agreed.</summary>
    /// <param name="transport">The transport the handshake ran on.</param>
    /// <param name="handshake">The accepted handshake: its subprotocol and permessage-deflate parameters are used.</param>
    /// <param name="options">Connection options, as for the constructor (pass the ones whose permessage-deflate policy the request offered).</param>
    /// <exception cref="ArgumentException">The handshake failed.</exception>
    public static WsCoreWebSocket FromHandshake(IDuplexPipe transport, ClientHandshakeResult handshake, WebSocketConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handshake);
        if (!handshake.IsAccepted) throw new ArgumentException("The handshake failed.", nameof(handshake));
        return new WsCoreWebSocket(transport, WebSocketRole.Client, handshake.Subprotocol, options, handshake.PerMessageDeflate);
    }

    /// <summary>
    /// Connects to a <c>ws://</c> or <c>wss://</c> URI and returns the client's open WebSocket: the WsCore counterpart of
    /// <c>new ClientWebSocket()</c> + <c>ConnectAsync</c>, on the same path as <see cref="SocketWebSockets.ConnectAsync"/>
    /// (TLS with the URI's host as target and SNI, the options' HTTP proxy, request headers, subprotocols,
    /// permessage-deflate offer, keep-alive). <see cref="SubProtocol"/> is the one the server chose.
    /// </summary>
    /// <param name="uri">A <c>ws://</c> or <c>wss://host:port/path?query</c> URI.</param>
    /// <param name="options">Client options; defaults when null. Their <see cref="WebSocketClientOptions.Connection"/> are
    /// the WebSocket's connection options, as for the constructor.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <exception cref="WebSocketException">
    /// Connecting failed, as <c>ClientWebSocket.ConnectAsync</c> fails: <see cref="WebSocketError.NotAWebSocket"/> when
    /// the server answered with a status other than 101 (e.g. 403: "The server returned status code '403' when status
    /// code '101' was expected."), <see cref="WebSocketError.UnsupportedProtocol"/> for a subprotocol it did not offer,
    /// <see cref="WebSocketError.HeaderError"/> for another invalid answer, <see cref="WebSocketError.Faulted"/> when the
    /// server, the proxy or TLS could not be reached or refused (also after
    /// <see cref="WebSocketClientOptions.ConnectTimeout"/>). Its <see cref="Exception.InnerException"/> is always a
    /// <see cref="WebSocketConnectException"/>: the step that failed and the HTTP status (the server's, or the proxy's 407).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    /// <exception cref="ArgumentException">The URI is not an absolute ws:// or wss:// URI, or the options cannot be used.</exception>
    public static async Task<WsCoreWebSocket> ConnectAsync(Uri uri, WebSocketClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        options ??= new WebSocketClientOptions();
        ClientConnector.Outcome outcome = await ClientConnector.ConnectAsync(uri, options, cancellationToken).ConfigureAwait(false);
        if (outcome.Error is { } error) throw ToWebSocketException(error);
        return FromHandshake(outcome.Transport!, outcome.Handshake!, options.Connection);
    }

    /// <summary>A connect failure as ClientWebSocket reports it: the same <see cref="WebSocketError"/>, WsCore's detail inside.</summary>
    private static WebSocketException ToWebSocketException(WebSocketConnectException error) => error switch
    {
        { Failure: WebSocketConnectFailure.Handshake, HandshakeError: HandshakeResponseError.UnexpectedStatusCode } => new WebSocketException(WebSocketError.NotAWebSocket,
            $"The server returned status code '{error.StatusCode}' when status code '101' was expected.", error),
        { Failure: WebSocketConnectFailure.Handshake, HandshakeError: HandshakeResponseError.SubprotocolNotOffered } => new WebSocketException(WebSocketError.UnsupportedProtocol, error.Message, error),
        { Failure: WebSocketConnectFailure.Handshake, HandshakeError: not HandshakeResponseError.IncompleteResponse } => new WebSocketException(WebSocketError.HeaderError, error.Message, error),
        _ => new WebSocketException(WebSocketError.Faulted, error.Message, error),
    };

    /// <summary>The WsCore connection underneath (protocol state, violation, timeouts).</summary>
    public WebSocketConnection Connection => _connection;

    /// <inheritdoc/>
    public override WebSocketCloseStatus? CloseStatus => _closeStatus;

    /// <inheritdoc/>
    public override string? CloseStatusDescription => _closeStatusDescription;

    /// <inheritdoc/>
    public override WebSocketState State => _state;

    /// <inheritdoc/>
    public override string? SubProtocol => _subProtocol;

    private static WebSocketConnectionOptions WithoutAutoCloseReply(WebSocketConnectionOptions o)
        => o.Protocol.AutoCloseReply ? o with { Protocol = o.Protocol with { AutoCloseReply = false } } : o;

    // ---- Sending ----

    /// <inheritdoc/>
    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        ValidateMessageKind(messageType);
        if (buffer.Array is null) throw new ArgumentNullException(nameof(buffer));
        return SendAsync(buffer.AsMemory(), messageType, endOfMessage ? WebSocketMessageFlags.EndOfMessage : default, cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer, messageType, endOfMessage ? WebSocketMessageFlags.EndOfMessage : default, cancellationToken);

    /// <inheritdoc/>
    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, WebSocketMessageFlags messageFlags, CancellationToken cancellationToken = default)
    {
        ValidateMessageKind(messageType);
        try
        {
            ThrowIfInvalidState(s_validSendStates);
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
        bool endOfMessage = (messageFlags & WebSocketMessageFlags.EndOfMessage) != 0;
        MessageKind type = _lastSendWasFragment ? _fragmentType : messageType == WebSocketMessageType.Text ? MessageKind.Text : MessageKind.Binary;
        _fragmentType = type;
        _lastSendWasFragment = !endOfMessage;
        return SendCoreAsync(buffer, type, endOfMessage, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendCoreAsync(ReadOnlyMemory<byte> buffer, MessageKind type, bool endOfMessage, CancellationToken cancellationToken)
    {
        SendStatus status;
        using (cancellationToken.UnsafeRegister(static s => ((WsCoreWebSocket)s!).Abort(), this))
        {
            status = await _connection.SendAsync(buffer, type, endOfMessage, cancellationToken).ConfigureAwait(false);
        }
        if (status == SendStatus.Done) return;
        if (status == SendStatus.BufferFull)
            throw new WebSocketException(WebSocketError.Faulted, "The outbound buffer is full: the peer does not read fast enough (see WebSocketConnectionOptions.BackpressurePolicy).");
        if (_state == WebSocketState.Aborted || cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
        ObjectDisposedException.ThrowIf(_disposed, typeof(WebSocket));
        throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely);
    }

    private static void ValidateMessageKind(WebSocketMessageType messageType)
    {
        if (messageType != WebSocketMessageType.Text && messageType != WebSocketMessageType.Binary)
        {
            throw new ArgumentException("The message type 'Close' is not allowed for 'SendAsync'. Use 'Binary' or 'Text', or 'CloseOutputAsync' to close.", nameof(messageType));
        }
    }

    // ---- Receiving ----

    /// <inheritdoc/>
    public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.Array is null) throw new ArgumentNullException(nameof(buffer));
        try
        {
            ThrowIfInvalidState(s_validReceiveStates);
        }
        catch (Exception e)
        {
            return Task.FromException<WebSocketReceiveResult>(e);
        }
        return ReceiveArraySegmentAsync(buffer, cancellationToken);
    }

    private async Task<WebSocketReceiveResult> ReceiveArraySegmentAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        ValueWebSocketReceiveResult r = await ReceiveCoreAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
        return new WebSocketReceiveResult(r.Count, r.MessageType, r.EndOfMessage, _closeStatus, _closeStatusDescription);
    }

    /// <inheritdoc/>
    public override ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            ThrowIfInvalidState(s_validReceiveStates);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<ValueWebSocketReceiveResult>(e);
        }
        return ReceiveCoreAsync(buffer, cancellationToken);
    }

    /// <param name="buffer">Where message data goes.</param>
    /// <param name="cancellationToken">Aborts the WebSocket when it fires.</param>
    /// <param name="forClose">
    /// For <see cref="CloseAsync"/>: once the receive lock is held, return at once if the peer's close already arrived
    /// (an application receive that ran concurrently may have consumed it).
    /// </param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ValueWebSocketReceiveResult> ReceiveCoreAsync(Memory<byte> buffer, CancellationToken cancellationToken, bool forClose = false)
    {
        CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(static s => ((WsCoreWebSocket)s!).Abort(), this);
        try
        {
            await _receiveMutex.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (forClose && _receivedCloseFrame) return new ValueWebSocketReceiveResult(0, WebSocketMessageType.Close, true);
                ObjectDisposedException.ThrowIf(_disposed, typeof(WebSocket));
                ConnectionReceiveResult r = await _connection.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                switch (r.Kind)
                {
                    case ConnectionReceiveKind.MessageData:
                        return new ValueWebSocketReceiveResult(r.Count, r.MessageKind == MessageKind.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary, r.EndOfMessage);
                    case ConnectionReceiveKind.Close:
                        OnCloseReceived(r.CloseCode);
                        return new ValueWebSocketReceiveResult(0, WebSocketMessageType.Close, true);
                    case ConnectionReceiveKind.ProtocolError:
                        lock (_stateLock) _sentCloseFrame = true; // the engine sent the close frame that fails the connection
                        throw new WebSocketException(WebSocketError.Faulted, ProtocolViolations.GetDescription(_connection.Violation));
                    default: // Aborted
                        if (_state == WebSocketState.Aborted) throw new OperationCanceledException(nameof(WebSocketState.Aborted), new WebSocketException(WebSocketError.ConnectionClosedPrematurely));
                        ObjectDisposedException.ThrowIf(_disposed, typeof(WebSocket));
                        throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely);
                }
            }
            finally
            {
                _receiveMutex.Release();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (_state == WebSocketState.Aborted) throw new OperationCanceledException(nameof(WebSocketState.Aborted), e);
            OnAborted();
            if (e is WebSocketException) throw;
            throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, e);
        }
        finally
        {
            registration.Dispose();
        }
    }

    private void OnCloseReceived(ushort code)
    {
        string description = _connection.PeerCloseReason ?? "";
        lock (_stateLock)
        {
            _receivedCloseFrame = true;
            // Like the runtime's implementation, a close frame without a code reports NormalClosure.
            _closeStatus = code == CloseCodes.NoStatusReceived ? WebSocketCloseStatus.NormalClosure : (WebSocketCloseStatus)code;
            _closeStatusDescription = description;
            if (_sentCloseFrame && _state < WebSocketState.Closed) _state = WebSocketState.Closed;
            else if (_state < WebSocketState.CloseReceived) _state = WebSocketState.CloseReceived;
        }
    }

    // ---- Closing ----

    /// <inheritdoc/>
    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        ValidateCloseStatus(closeStatus, statusDescription);
        return CloseOutputCoreAsync(closeStatus, statusDescription, cancellationToken);
    }

    private async Task CloseOutputCoreAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        ThrowIfInvalidState(s_validCloseOutputStates);
        await SendCloseFrameAsync(closeStatus, statusDescription, cancellationToken).ConfigureAwait(false);
        lock (_stateLock)
        {
            if (_receivedCloseFrame) DisposeCore();
        }
    }

    /// <inheritdoc/>
    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        ValidateCloseStatus(closeStatus, statusDescription);
        try
        {
            ThrowIfInvalidState(s_validCloseStates);
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
        return CloseCoreAsync(closeStatus, statusDescription, cancellationToken);
    }

    private async Task CloseCoreAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        if (!_sentCloseFrame) await SendCloseFrameAsync(closeStatus, statusDescription, cancellationToken).ConfigureAwait(false);
        if (_state == WebSocketState.CloseSent)
        {
            byte[] scratch = new byte[256];
            while (!_receivedCloseFrame)
            {
                await ReceiveCoreAsync(scratch, cancellationToken, forClose: true).ConfigureAwait(false);
            }
        }
        lock (_stateLock) DisposeCore();
    }

    private async ValueTask SendCloseFrameAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        byte[] reason = string.IsNullOrEmpty(statusDescription) ? [] : Encoding.UTF8.GetBytes(statusDescription);
        SendStatus status;
        using (cancellationToken.UnsafeRegister(static s => ((WsCoreWebSocket)s!).Abort(), this))
        {
            // WebSocketCloseStatus.Empty is a close frame without a body (§5.5.1), never the reserved code 1005 on the wire.
            status = closeStatus == WebSocketCloseStatus.Empty
                ? await _connection.CloseOutputAsync(cancellationToken).ConfigureAwait(false)
                : await _connection.CloseOutputAsync((ushort)closeStatus, reason, cancellationToken).ConfigureAwait(false);
        }
        if (status != SendStatus.Done)
        {
            if (_state == WebSocketState.Aborted) throw new OperationCanceledException(cancellationToken);
            ObjectDisposedException.ThrowIf(_disposed, typeof(WebSocket));
            throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely);
        }
        lock (_stateLock)
        {
            _sentCloseFrame = true;
            if (_receivedCloseFrame && _state < WebSocketState.Closed) _state = WebSocketState.Closed;
            else if (_state < WebSocketState.CloseSent) _state = WebSocketState.CloseSent;
        }
    }

    private static void ValidateCloseStatus(WebSocketCloseStatus closeStatus, string? statusDescription)
    {
        if (closeStatus == WebSocketCloseStatus.Empty)
        {
            if (!string.IsNullOrEmpty(statusDescription))
                throw new ArgumentException("The close status 'Empty' must not come with a description.", nameof(statusDescription));
        }
        else if (!CloseCodes.IsValidToSend((int)closeStatus))
        {
            throw new ArgumentException($"The close status code '{(int)closeStatus}' may not be sent (RFC 6455 §7.4).", nameof(closeStatus));
        }
        if (!string.IsNullOrEmpty(statusDescription) && Encoding.UTF8.GetByteCount(statusDescription) > ClosePayload.MaxReasonLength)
        {
            throw new ArgumentException($"The close description must be at most {ClosePayload.MaxReasonLength} bytes of UTF-8.", nameof(statusDescription));
        }
    }

    // ---- Abort and dispose ----

    /// <inheritdoc/>
    public override void Abort()
    {
        OnAborted();
        Dispose();
    }

    private void OnAborted()
    {
        lock (_stateLock)
        {
            WebSocketState state = _state;
            if (state != WebSocketState.Closed && state != WebSocketState.Aborted) _state = WebSocketState.Aborted;
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        lock (_stateLock) DisposeCore();
    }

    private void DisposeCore()
    {
        if (_disposed) return;
        _disposed = true;
        _connection.Abort();
        if (_state < WebSocketState.Aborted) _state = WebSocketState.Closed;
    }

    private void ThrowIfInvalidState(WebSocketState[] validStates)
    {
        WebSocketState state = _state;
        if (Array.IndexOf(validStates, state) < 0)
        {
            throw new WebSocketException(WebSocketError.InvalidState,
                $"The WebSocket is in an invalid state ('{state}') for this operation. Valid states are: '{string.Join(", ", validStates)}'");
        }
        ObjectDisposedException.ThrowIf(_disposed, typeof(WebSocket));
    }

}
