namespace WsCore.Pipelines;

/// <summary>
/// Called by a <see cref="WebSocketConnection"/> for every ping it receives (<see cref="WebSocketConnectionOptions.PingReceived"/>),
/// after the engine queued its pong (RFC 6455 §5.5.2: the answer needs nothing from the application), on the thread of
/// the receive that read it. Keep it short and non-blocking. An exception it throws is caught and counted
/// (<c>wscore.callback.failed</c>), never seen by the connection.
/// </summary>
/// <param name="connection">The connection that received the ping.</param>
/// <param name="payload">The ping's payload (at most 125 bytes), valid only during the call: copy what you keep.</param>
public delegate void PingReceivedHandler(WebSocketConnection connection, ReadOnlySpan<byte> payload);
