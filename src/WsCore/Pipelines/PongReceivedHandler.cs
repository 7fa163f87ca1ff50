namespace WsCore.Pipelines;

/// <summary>
/// Called by a <see cref="WebSocketConnection"/> for every pong it receives (<see cref="WebSocketConnectionOptions.PongReceived"/>),
/// on the thread of the receive that read it (the application's <see cref="WebSocketConnection.ReceiveAsync"/>, or the
/// connection's own liveness read). Keep it short and non-blocking: the receive waits for it. An exception it throws is
/// caught and counted (<c>wscore.callback.failed</c>), never seen by the connection.
/// </summary>
/// <param name="connection">The connection that received the pong.</param>
/// <param name="payload">The pong's payload (at most 125 bytes), valid only during the call: copy what you keep.</param>
/// <param name="roundTrip">The round-trip time when the pong answers this connection's measured ping (a keep-alive ping
/// or <see cref="WebSocketConnection.MeasureRoundTripAsync"/>); null for an unsolicited pong, one for an older ping, or
/// one for a ping sent with <see cref="WebSocketConnection.PingAsync"/>.</param>
public delegate void PongReceivedHandler(WebSocketConnection connection, ReadOnlySpan<byte> payload, TimeSpan? roundTrip);
