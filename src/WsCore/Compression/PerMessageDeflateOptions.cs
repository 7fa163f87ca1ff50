namespace WsCore.Compression;

/// <summary>
/// The local policy for permessage-deflate (RFC 7692): whether to negotiate it, what to ask for, what to accept,
/// and how hard to compress. Parameter names follow the RFC ("server" = the server's sending direction, "client" = the
/// client's), and each setting says what it means in either role.
/// </summary>
/// <remarks>
/// <para><b>Memory per connection</b>, native, allocated once when the compressor/decompressor is created and freed
/// on dispose (zlib-ng 2.2.5 in .NET 10.0.12, measured with glibc <c>mallinfo2</c> around construction): a compressor
/// costs 4 × 2^windowBits + 5 × 2^(memoryLevel + 6) bytes + 128 KiB (zlib-ng's fixed-size hash table) + ~6.4 KiB of
/// state. Measured: windowBits 15 / memoryLevel 8 (the defaults) 342.4 KiB; 12/8 230.4 KiB; 9/8 216.4 KiB; 15/1
/// 263.0 KiB; 9/1 137.0 KiB; 15/9 422.3 KiB (windowBits 8 costs what 9 does). A decompressor costs 41.5 KiB whatever
/// the window: zlib-ng 2.2 always allocates a 32 KiB window. Nothing is allocated per message.</para>
/// <para>The defaults are conservative: compression is off until <see cref="Enabled"/> is set; when on, the plain
/// RFC defaults (15-bit windows, context takeover) and zlib level 6 / memLevel 8 apply.</para>
/// </remarks>
public sealed record PerMessageDeflateOptions
{
    private readonly int _serverMaxWindowBits = 15;
    private readonly int _clientMaxWindowBits = 15;
    private readonly int _compressionLevel = PerMessageDeflateCompressor.DefaultCompressionLevel;
    private readonly int _memoryLevel = PerMessageDeflateCompressor.DefaultMemoryLevel;

    /// <summary>A shared instance with compression disabled.</summary>
    public static PerMessageDeflateOptions Disabled { get; } = new();

    /// <summary>True to offer (client) or accept (server) permessage-deflate. Default false.</summary>
    public bool Enabled { get; init; }

    /// <summary>
    /// Client: offer <c>server_no_context_takeover</c>, asking the server to compress each message on its own.
    /// Server: always compress each message on its own (answer <c>server_no_context_takeover</c>), even if not asked.
    /// A server always honours a client's request for it. Default false.
    /// </summary>
    public bool ServerNoContextTakeover { get; init; }

    /// <summary>
    /// Client: compress each message on its own and say so in the offer (<c>client_no_context_takeover</c>).
    /// Server: require the client to compress each message on its own (answer <c>client_no_context_takeover</c>).
    /// Default false.
    /// </summary>
    public bool ClientNoContextTakeover { get; init; }

    /// <summary>
    /// The largest window (8-15) for messages the server sends. Client: below 15, offer
    /// <c>server_max_window_bits</c> with this value, which bounds the client's inflater memory (2^bits). Server: the
    /// window its compressor uses at most (the client may ask for less). Default 15. With 8, the compressor sends
    /// stored (uncompressed) DEFLATE blocks: zlib cannot compress with a 256-byte window.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 8-15.</exception>
    public int ServerMaxWindowBits
    {
        get => _serverMaxWindowBits;
        init => _serverMaxWindowBits = CheckWindowBits(value);
    }

    /// <summary>
    /// The largest window (8-15) for messages the client sends. Client: the window its compressor uses at most; below
    /// 15 it is offered as <c>client_max_window_bits=N</c>. Server: below 15, the limit it imposes on the client
    /// (bounding the server's inflater memory); an offer that does not let the server limit the client's window
    /// (no <c>client_max_window_bits</c>) is then declined. Default 15.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 8-15.</exception>
    public int ClientMaxWindowBits
    {
        get => _clientMaxWindowBits;
        init => _clientMaxWindowBits = CheckWindowBits(value);
    }

    /// <summary>
    /// Client only: when <see cref="ClientMaxWindowBits"/> is 15, offer the value-less <c>client_max_window_bits</c>
    /// (telling the server it may limit the client's window). Set false for servers that reject that form. Default true.
    /// </summary>
    public bool OfferClientMaxWindowBits { get; init; } = true;

    /// <summary>zlib compression level, 0 (store only) to 9 (smallest, slowest). Default 6.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0-9.</exception>
    public int CompressionLevel
    {
        get => _compressionLevel;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 9);
            _compressionLevel = value;
        }
    }

    /// <summary>
    /// zlib memLevel, 1 to 9: the compressor's literal buffer is about 5 × 2^(memLevel + 6) bytes (40 KiB at 8).
    /// Default 8.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1-9.</exception>
    public int MemoryLevel
    {
        get => _memoryLevel;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 9);
            _memoryLevel = value;
        }
    }

    private static int CheckWindowBits(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 15);
        return value;
    }
}
