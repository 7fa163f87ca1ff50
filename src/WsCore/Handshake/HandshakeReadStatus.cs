namespace WsCore.Handshake;

/// <summary>Result of feeding bytes to <see cref="HandshakeRequestReader"/> or <see cref="HandshakeResponseReader"/>.</summary>
public enum HandshakeReadStatus
{
    /// <summary>The head is not complete yet: feed more bytes.</summary>
    NeedMoreData,

    /// <summary>The head is complete and valid. Bytes after it were not consumed: they belong to the frame parser.</summary>
    Done,

    /// <summary>The head is invalid; the reader's error property says why. Further input is ignored.</summary>
    Rejected,
}
