namespace WsCore.Handshake;

/// <summary>
/// Hard limits for reading an HTTP/1.1 upgrade request or response head. Input over a limit is a defined
/// rejection (431, or 414 for a request line), never an exception or unbounded memory: the readers' buffer
/// never grows beyond <see cref="MaxHeaderBytes"/>.
/// </summary>
public sealed class HandshakeOptions
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

    private static int Positive(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1 << 24);
        return value;
    }
}
