namespace WsCore.Closing;

/// <summary>What an embedder should do after a connection closed with a given code.</summary>
public enum CloseCodeAdvice
{
    /// <summary>The connection ended normally (1000): its purpose is fulfilled; do not reconnect.</summary>
    Done,
    /// <summary>
    /// A transient condition (1001 going away, 1006 abnormal closure, 1011 internal error, 1012 restart, 1013 try again
    /// later, 1014 bad gateway): reconnect, waiting longer after each failed attempt (see <see cref="ReconnectBackoff"/>).
    /// </summary>
    ReconnectWithBackoff,
    /// <summary>
    /// One side sent what the other cannot accept (1002, 1003, 1007, 1008, 1009, 1010): reconnecting would fail the
    /// same way; stop and report the bug or misconfiguration.
    /// </summary>
    StopAndReport,
    /// <summary>4000-4999: private codes whose meaning the application defines.</summary>
    ApplicationDefined,
    /// <summary>3000-3999: codes registered with IANA by libraries and frameworks; look up the registry entry.</summary>
    RegisteredByLibrary,
    /// <summary>1015: the TLS handshake failed (certificate, protocol version); reconnecting will not help until the configuration changes.</summary>
    TlsFailure,
    /// <summary>1005 (the peer's close frame carried no code): the peer closed deliberately; treat as done unless the application knows better.</summary>
    NoStatus,
    /// <summary>A code that is reserved or undefined (0-999, 1004, 1016-2999, 5000+); a peer may not send it.</summary>
    Invalid,
}

