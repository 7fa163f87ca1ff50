using WsCore.Protocol;

namespace WsCore.Pipelines;

/// <summary>Options of a <see cref="WebSocketConnection"/>.</summary>
public sealed record WebSocketConnectionOptions
{
    /// <summary>The shared default options.</summary>
    public static WebSocketConnectionOptions Default { get; } = new();

    /// <summary>The protocol engine's limits and behaviours.</summary>
    public WebSocketProtocolOptions Protocol { get; init; } = WebSocketProtocolOptions.Default;

    /// <summary>How long a client waits for the server to close the TCP connection after the closing handshake (§7.1.1) before closing it itself. Default 1 s.</summary>
    public TimeSpan ClientCloseWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Idle time (nothing received) after which a ping is sent. <see cref="TimeSpan.Zero"/> or
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables keep-alive pings. Default: disabled. Pongs are only seen while a
    /// receive is in progress, so keep a receive loop running when you enable it.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// How long after a keep-alive ping the peer may send nothing before the connection is aborted
    /// (<see cref="WebSocketConnection.TimedOut"/> is then <see cref="KeepAliveAction.PeerUnresponsive"/>).
    /// <see cref="Timeout.InfiniteTimeSpan"/> (the default) makes pings a heartbeat that never fails the peer.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// How long the peer has to answer this endpoint's close frame before the transport is closed anyway
    /// (<see cref="WebSocketConnection.TimedOut"/> is then <see cref="KeepAliveAction.CloseTimedOut"/>). Default 10 s;
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits forever.
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the connection may go without a data message in either direction (a text, binary or continuation frame
    /// sent or received, any fragment) before this endpoint closes it with 1001 (going away) and the reason
    /// <c>idle timeout</c>; the peer then has <see cref="CloseTimeout"/> to answer. Pings and pongs, the keep-alive
    /// pings included, do not count: keep-alive checks that the peer is alive, the idle timeout that it is still used.
    /// <see cref="WebSocketConnection.TimedOut"/> is then <see cref="KeepAliveAction.IdleTimeout"/>.
    /// <see cref="TimeSpan.Zero"/> or <see cref="Timeout.InfiniteTimeSpan"/> (the default) disables it.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// How long after its creation the connection is closed with 1001 (going away) and the reason
    /// <c>maximum lifetime reached</c>, whatever it does (to rebalance long-lived clients across servers, or to make
    /// them pick up new credentials); the peer then has <see cref="CloseTimeout"/> to answer.
    /// <see cref="WebSocketConnection.TimedOut"/> is then <see cref="KeepAliveAction.MaxLifetimeReached"/>.
    /// <see cref="TimeSpan.Zero"/> or <see cref="Timeout.InfiniteTimeSpan"/> (the default) disables it.
    /// </summary>
    public TimeSpan MaxLifetime { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// After a server fails the connection (its close frame answers a protocol violation, so the peer's own close may
    /// never be parsed), it keeps reading and discarding what the peer still sends until the peer closes, nothing
    /// arrives for this long, it has sent <see cref="FailureDrainMaxBytes"/>, or <see cref="FailureDrainTimeout"/> passes
    /// (whichever comes first), and only then closes the transport. Closing a TCP
    /// connection with unread input makes the kernel reset it, and the reset can destroy the close frame before the
    /// peer reads it; transports that close abruptly (Kestrel's, streams) need this. Skipped over a
    /// <see cref="SocketDuplexPipe"/>, which drains after its FIN anyway. Default 100 ms; <see cref="TimeSpan.Zero"/>
    /// closes at once.
    /// </summary>
    public TimeSpan FailureDrainQuietPeriod { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The most a failing server reads and discards after its close frame (see <see cref="FailureDrainQuietPeriod"/>): a
    /// peer that keeps flooding is cut off after this many bytes. Default 64 KiB.
    /// </summary>
    public long FailureDrainMaxBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// The longest a failing server reads and discards after its close frame (see <see cref="FailureDrainQuietPeriod"/>),
    /// never longer than <see cref="CloseTimeout"/>. Default 2 s.
    /// </summary>
    public TimeSpan FailureDrainTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock for keep-alive, idle timeout, maximum lifetime, close timeout and the client's close wait. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Called for every pong received, with its payload and, when it answers a measured ping, the round-trip time;
    /// null (the default) for none. Use a static lambda (or a cached delegate): the connection then allocates nothing
    /// to call it. See <see cref="PongReceivedHandler"/>.
    /// </summary>
    public PongReceivedHandler? PongReceived { get; init; }

    /// <summary>
    /// Called for every ping received (after its pong was queued), with its payload; null (the default) for none. See
    /// <see cref="PingReceivedHandler"/>.
    /// </summary>
    public PingReceivedHandler? PingReceived { get; init; }

    /// <summary>What a send does when the peer does not read fast enough. Default <see cref="BackpressurePolicy.Wait"/>.</summary>
    public BackpressurePolicy BackpressurePolicy { get; init; } = BackpressurePolicy.Wait;

    /// <summary>
    /// For the policies other than <see cref="BackpressurePolicy.Wait"/>: how many bytes may be written while the transport
    /// pushes back (on top of what the transport itself holds up to its pause threshold). Default 1 MiB.
    /// </summary>
    public long MaxBufferedOutboundBytes { get; init; } = 1024 * 1024;
}
