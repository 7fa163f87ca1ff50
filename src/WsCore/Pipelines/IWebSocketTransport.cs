using System.IO.Pipelines;

namespace WsCore.Pipelines;

/// <summary>
/// An <see cref="IDuplexPipe"/> that also knows how to end its connection. <see cref="WebSocketConnection"/> uses these
/// capabilities when its transport offers them, and works without them over any other <see cref="IDuplexPipe"/>.
/// </summary>
public interface IWebSocketTransport : IDuplexPipe
{
    /// <summary>
    /// True when completing <see cref="IDuplexPipe.Output"/> closes the connection gracefully by itself: what was
    /// written is sent, the sending side is shut down, and input is read and discarded until the peer closes or a bounded
    /// time passes (closing a socket with unread input would reset it and could destroy the close frame just sent). The
    /// connection then skips its own bounded drain of input after a failure.
    /// </summary>
    bool DrainsInputOnClose { get; }

    /// <summary>
    /// Closes the connection at once: unsent output is dropped, and pending reads and flushes end. Safe to call from any
    /// thread, any number of times; never blocks and never throws.
    /// </summary>
    void Abort();
}
