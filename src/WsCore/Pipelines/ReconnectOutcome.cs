namespace WsCore.Pipelines;

/// <summary>How a <see cref="ReconnectingWebSocketClient.RunAsync"/> loop ended.</summary>
public sealed class ReconnectOutcome
{
    internal ReconnectOutcome(ReconnectStopReason reason, int connections, int statusCode, int closeCode, string? failure, Exception? exception)
    {
        Reason = reason;
        Connections = connections;
        StatusCode = statusCode;
        CloseCode = closeCode;
        Failure = failure;
        Exception = exception;
    }

    /// <summary>Why the loop stopped.</summary>
    public ReconnectStopReason Reason { get; }

    /// <summary>How many connections were opened (handshakes that succeeded).</summary>
    public int Connections { get; }

    /// <summary>The HTTP status of the last failed handshake (0 when there was no answer or no failure).</summary>
    public int StatusCode { get; }

    /// <summary>The close code of the last connection (1006 when it ended without a close frame; 0 when none opened).</summary>
    public int CloseCode { get; }

    /// <summary>Why the last attempt failed, in words (the connect's failure), or null.</summary>
    public string? Failure { get; }

    /// <summary>What the session callback threw (<see cref="ReconnectStopReason.SessionFailed"/>), or null.</summary>
    public Exception? Exception { get; }
}
