namespace WsCore.Handshake;

/// <summary>
/// Hard limits for reading an HTTP/1.1 upgrade request or response head. Input over a limit is a defined
/// rejection (431, or 414 for a request line), never an exception or unbounded memory: the readers' buffer
/// never grows beyond <see cref="MaxHeaderBytes"/>. <see cref="Timeout"/> and <see cref="TimeProvider"/> bound the
/// whole handshake where it runs over a transport (<c>PipeHandshake</c>); the sans-I/O readers have no clock.
/// </summary>
public sealed record HandshakeOptions
{
    private int _maxHeaderBytes = 8192;
    private int _maxHeaderCount = 64;
    private int _maxStartLineLength = 4096;
    private int _maxHeaderLineLength = 4096;

    /// <summary>Shared instance with the default limits.</summary>
    public static HandshakeOptions Default { get; } = new();

    /// <summary>Most bytes in the whole head: start line, header lines, line endings and the blank line. Default 8192.</summary>
    public int MaxHeaderBytes { get => _maxHeaderBytes; init => _maxHeaderBytes = Positive(value); }

    /// <summary>Most header lines. Default 64.</summary>
    public int MaxHeaderCount { get => _maxHeaderCount; init => _maxHeaderCount = Positive(value); }

    /// <summary>Longest request line (server) or status line (client), CRLF excluded. Default 4096; a longer request line is a 414.</summary>
    public int MaxStartLineLength { get => _maxStartLineLength; init => _maxStartLineLength = Positive(value); }

    /// <summary>Longest header line, CRLF excluded. Default 4096; a longer line is a 431.</summary>
    public int MaxHeaderLineLength { get => _maxHeaderLineLength; init => _maxHeaderLineLength = Positive(value); }

    /// <summary>
    /// How long the opening handshake may take over a transport (<c>WsCore.Pipelines.PipeHandshake</c>): from the
    /// start of <c>AcceptAsync</c> until the answer is sent (a server answers a request still incomplete then with 408
    /// and reports <see cref="HandshakeRequestError.TimedOut"/>: a slowloris client is cut off however slowly it
    /// trickles bytes), or from the start of <c>ConnectAsync</c> until the server's answer has arrived
    /// (<see cref="HandshakeResponseError.TimedOut"/>). Default 10 s; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>
    /// (or zero) waits as long as the caller's cancellation token allows.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock of <see cref="Timeout"/>. Default <see cref="System.TimeProvider.System"/>; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    private static int Positive(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1 << 24);
        return value;
    }
}
