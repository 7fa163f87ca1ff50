namespace WsCore.Diagnostics;

/// <summary>How an opening handshake ended, for <see cref="WsCoreMetrics.RecordHandshake"/> (the <c>websocket.handshake.result</c> tag).</summary>
public enum HandshakeOutcome
{
    /// <summary>The WebSocket is open: 101 (HTTP/1.1) or 200 (HTTP/2 extended CONNECT) sent or received and valid.</summary>
    Accepted,
    /// <summary>The server refused the request with an HTTP status (a bad request, the policy's refusal, an Origin not allowed); for a client, a status other than 101.</summary>
    Rejected,
    /// <summary>The handshake did not finish within its timeout (a server answers 408).</summary>
    TimedOut,
    /// <summary>No valid answer: the transport ended or failed, the handshake was cancelled, or (client) the server's 101 broke RFC 6455 §4.1.</summary>
    Failed,
}
