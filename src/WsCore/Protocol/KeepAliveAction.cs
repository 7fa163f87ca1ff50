namespace WsCore.Protocol;

/// <summary>What <see cref="KeepAlive.OnTimer"/> asks the caller to do.</summary>
public enum KeepAliveAction
{
    /// <summary>Nothing is due; wait until <see cref="KeepAlive.NextDeadline"/>.</summary>
    None,
    /// <summary>The connection was idle for the keep-alive interval: send a ping (the peer must answer it, §5.5.2).</summary>
    SendPing,
    /// <summary>Nothing arrived from the peer within the keep-alive timeout after a ping: fail the connection (close the transport).</summary>
    PeerUnresponsive,
    /// <summary>The closing handshake did not finish within the close timeout: close the transport.</summary>
    CloseTimedOut,
    /// <summary>
    /// No data frame went either way for the idle timeout: close the connection (WsCore sends 1001, going away); the
    /// close timeout now runs.
    /// </summary>
    IdleTimeout,
    /// <summary>The connection reached its maximum lifetime: close it (WsCore sends 1001, going away); the close timeout now runs.</summary>
    MaxLifetimeReached,
}
