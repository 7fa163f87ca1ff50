using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>What a <see cref="WebSocketConnection"/> does when the peer reads more slowly than the application sends.</summary>
public enum BackpressurePolicy
{
    /// <summary>Each send waits until the transport accepts its bytes (the flush completes). Memory is bounded by the transport's pause threshold plus one message.</summary>
    Wait,
    /// <summary>
    /// Sends never wait for the peer: while the transport pushes back, sends buffer up to
    /// <see cref="WebSocketConnectionOptions.MaxBufferedOutboundBytes"/>; a send that would exceed it returns
    /// <see cref="SendStatus.BufferFull"/> at once and writes nothing. The connection stays open.
    /// </summary>
    FailSend,
    /// <summary>Like <see cref="FailSend"/>, but exceeding the limit also starts the closing handshake with 1013 (try again later).</summary>
    CloseWith1013,
    /// <summary>Like <see cref="FailSend"/>, but exceeding the limit also starts the closing handshake with 1009 (message too big).</summary>
    CloseWith1009,
}
