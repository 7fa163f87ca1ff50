namespace WsCore.Pipelines;

/// <summary>Why <see cref="ReconnectingWebSocketClient.RunAsync"/> stopped (<see cref="ReconnectOutcome.Reason"/>).</summary>
public enum ReconnectStopReason
{
    /// <summary>The caller's cancellation token fired.</summary>
    Cancelled,
    /// <summary>A handshake failed with a status that says not to retry (<see cref="WsCore.Closing.HandshakeFailureGuidance"/>: 400, 401, 403, 404, 426, ...).</summary>
    HandshakeRefused,
    /// <summary>A connection closed with a code that says not to reconnect (<see cref="WsCore.Closing.CloseCodeGuidance"/>: 1000, 1002, 1008, 4xxx, ...).</summary>
    Closed,
    /// <summary>The session callback threw (<see cref="ReconnectOutcome.Exception"/>).</summary>
    SessionFailed,
    /// <summary><see cref="ReconnectOptions.MaxConsecutiveFailures"/> attempts failed in a row.</summary>
    TooManyFailures,
}
