using WsCore.Framing;
using System.Buffers;

namespace WsCore.Compression;

/// <summary>
/// Compresses the messages one endpoint sends under permessage-deflate (RFC 7692 §7.2.1): raw DEFLATE, each message
/// ended with a sync flush whose trailing empty stored block (<c>00 00 FF FF</c>) is removed. One instance per
/// connection (sending direction); not thread-safe; sans-I/O: bytes in, bytes out into caller-owned spans.
/// </summary>
/// <remarks>
/// <para><b>Context takeover.</b> With no context takeover for the sending direction, each message is ended with a
/// zlib <em>full</em> flush instead of a sync flush: it emits the same <c>00 00 FF FF</c> trailer and also forgets the
/// whole history (hash table), so the next message never refers back to an earlier one. This is what RFC 7692 §7.1.1
/// asks, without re-creating the native state per message.</para>
/// <para><b>Window bits 8.</b> zlib (and zlib-ng, which the .NET runtime ships) cannot produce a raw DEFLATE stream
/// with a 256-byte window: it rejects <c>windowBits = -8</c>. When the negotiated window for this direction is 8, the
/// compressor therefore runs at compression level 0: it emits only stored (uncompressed) DEFLATE blocks, which refer
/// to no window at all and so honour any window limit. The message is still valid permessage-deflate, only not
/// smaller (about 5 bytes of overhead per 64 KiB). Negotiation never has to fail or lie because of this.</para>
/// <para><b>Memory.</b> zlib-ng 2.2 allocates once per compressor 4 × 2^windowBits + 5 × 2^(memoryLevel + 6) bytes
/// + a fixed 128 KiB hash table + ~6.4 KiB of state: 342.4 KiB measured at windowBits 15 / memoryLevel 8, 137.0 KiB
/// at 9 / 1 (see <see cref="PerMessageDeflateOptions"/>).</para>
/// <para><b>Allocation.</b> The native state is created by the constructor and released by <see cref="Dispose"/>
/// (or the finalizer of its <see cref="System.Runtime.InteropServices.SafeHandle"/>); compressing allocates nothing.</para>
/// </remarks>
public sealed unsafe class PerMessageDeflateCompressor : IDisposable
{
    /// <summary>The smallest destination span <see cref="Compress"/> accepts.</summary>
    public const int MinimumDestinationLength = 16;

    /// <summary>The default zlib compression level (zlib's own default).</summary>
    public const int DefaultCompressionLevel = 6;

    /// <summary>The default zlib memory level (zlib's own default).</summary>
    public const int DefaultMemoryLevel = 8;

    private static ReadOnlySpan<byte> Trailer => [0x00, 0x00, 0xFF, 0xFF];

    private readonly ZStreamHandle _stream;
    private readonly byte[] _held = new byte[4]; // the last bytes zlib produced, not yet given out (maybe the trailer)
    private int _heldCount;
    private bool _forgetHistory; // set by ForgetHistory: the next message starts with a full flush

    /// <summary>Creates a compressor.</summary>
    /// <param name="windowBits">The LZ77 window this direction may use, 8 to 15 (the negotiated <c>*_max_window_bits</c>).</param>
    /// <param name="noContextTakeover">True to make every message independent of the previous ones.</param>
    /// <param name="compressionLevel">zlib level 1 (fastest) to 9 (smallest); 0 sends stored blocks only.</param>
    /// <param name="memoryLevel">zlib memLevel 1 to 9: the size of the buffered literal run.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its range.</exception>
    public PerMessageDeflateCompressor(int windowBits, bool noContextTakeover,
        int compressionLevel = DefaultCompressionLevel, int memoryLevel = DefaultMemoryLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBits, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowBits, 15);
        ArgumentOutOfRangeException.ThrowIfNegative(compressionLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(compressionLevel, 9);
        ArgumentOutOfRangeException.ThrowIfLessThan(memoryLevel, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(memoryLevel, 9);
        WindowBits = windowBits;
        NoContextTakeover = noContextTakeover;
        CompressionLevel = windowBits == 8 ? 0 : compressionLevel;
        _stream = ZStreamHandle.CreateDeflate(CompressionLevel, windowBits == 8 ? 9 : windowBits, memoryLevel);
    }

    /// <summary>Creates the compressor for the messages this endpoint sends, from the negotiated parameters.</summary>
    /// <param name="parameters">The agreed parameters.</param>
    /// <param name="role">This endpoint's role.</param>
    /// <param name="compressionLevel">zlib level 0 to 9.</param>
    /// <param name="memoryLevel">zlib memLevel 1 to 9.</param>
    public PerMessageDeflateCompressor(in PerMessageDeflateParameters parameters, WebSocketRole role,
        int compressionLevel = DefaultCompressionLevel, int memoryLevel = DefaultMemoryLevel)
        : this(parameters.SendWindowBits(role), parameters.SendNoContextTakeover(role), compressionLevel, memoryLevel)
    {
    }

    /// <summary>The negotiated window bits for this direction (8 to 15).</summary>
    public int WindowBits { get; }

    /// <summary>True if each message is compressed independently of the previous ones.</summary>
    public bool NoContextTakeover { get; }

    /// <summary>The zlib compression level in use (0 when <see cref="WindowBits"/> is 8).</summary>
    public int CompressionLevel { get; }

    /// <summary>
    /// True between the first call for a message and the call that returns <see cref="OperationStatus.Done"/> with
    /// <c>isEndOfMessage</c> set: compressed bytes of the current message may still be pending.
    /// </summary>
    public bool IsInsideMessage { get; private set; }

    /// <summary>
    /// Compresses the next piece of a message into <paramref name="destination"/>.
    /// </summary>
    /// <param name="source">The next uncompressed bytes of the message (may be empty).</param>
    /// <param name="destination">Where compressed bytes go; at least <see cref="MinimumDestinationLength"/> bytes.</param>
    /// <param name="isEndOfMessage">True if <paramref name="source"/> ends the message: the compressed message is then
    /// completed (flushed, trailer removed).</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="source"/> were taken.</param>
    /// <param name="bytesWritten">How many bytes were written to <paramref name="destination"/>.</param>
    /// <returns>
    /// <see cref="OperationStatus.Done"/>: all of <paramref name="source"/> was taken, and if
    /// <paramref name="isEndOfMessage"/> the compressed message is complete (the last bytes written end it). For a
    /// piece that does not end the message, zlib may keep compressed bytes buffered (even all of them: 0 written)
    /// until a later piece or the end.
    /// <see cref="OperationStatus.DestinationTooSmall"/>: <paramref name="destination"/> is full (or nearly); send or
    /// keep what was written and call again with the rest of <paramref name="source"/> (possibly empty), the same
    /// <paramref name="isEndOfMessage"/> and a fresh destination. Never <c>NeedMoreData</c> or <c>InvalidData</c>.
    /// </returns>
    /// <remarks>The compressed bytes of one message may be cut into frames anywhere (RFC 7692 §6.1): only the
    /// first frame carries RSV1. Incompressible data grows slightly (stored blocks: ~5 bytes per 16-64 KiB). With
    /// context takeover, a message given to the compressor must be sent compressed: the peer's inflater has to see
    /// every message this compressor saw.</remarks>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than
    /// <see cref="MinimumDestinationLength"/>.</exception>
    /// <exception cref="ObjectDisposedException">The compressor was disposed.</exception>
    public OperationStatus Compress(ReadOnlySpan<byte> source, Span<byte> destination, bool isEndOfMessage,
        out int bytesConsumed, out int bytesWritten)
    {
        if (destination.Length < MinimumDestinationLength)
            throw new ArgumentException($"The destination must have at least {MinimumDestinationLength} bytes.", nameof(destination));
        ObjectDisposedException.ThrowIf(_stream.IsClosed, this);
        // The reference keeps the native state alive even if another thread disposes this object meanwhile.
        bool addedReference = false;
        try
        {
            _stream.DangerousAddRef(ref addedReference);
            return CompressCore(source, destination, isEndOfMessage, out bytesConsumed, out bytesWritten);
        }
        finally
        {
            if (addedReference) _stream.DangerousRelease();
        }
    }

    private OperationStatus CompressCore(ReadOnlySpan<byte> source, Span<byte> destination, bool isEndOfMessage,
        out int bytesConsumed, out int bytesWritten)
    {
        ZlibNative.ZStream* z = _stream.Stream;
        int held = _heldCount;
        _held.AsSpan(0, held).CopyTo(destination);
        int flush = isEndOfMessage ? (NoContextTakeover ? ZlibNative.FullFlush : ZlibNative.SyncFlush) : ZlibNative.NoFlush;
        bool complete = false;
        fixed (byte* input = source)
        fixed (byte* output = destination)
        {
            z->NextIn = input;
            z->NextOut = output + held;
            z->AvailOut = (uint)(destination.Length - held);
            if (!IsInsideMessage)
            {
                z->AvailIn = 0;
                if (_forgetHistory)
                {
                    // Asked by ForgetHistory: a full flush without input empties the hash table and the window position
                    // (so nothing after it refers back), at the cost of an empty stored block (5 bytes) at the start of
                    // this message. The destination has room for it (at least 16 bytes, nothing held at a message start).
                    int rcFlush = ZlibNative.Deflate(z, ZlibNative.FullFlush);
                    if (rcFlush != ZlibNative.Ok && rcFlush != ZlibNative.BufferError)
                        throw new InvalidOperationException($"zlib deflate failed unexpectedly (error {rcFlush}).");
                    _forgetHistory = false;
                }
                // A call without input or flush only records "no flush" as the last flush (zlib answers Z_BUF_ERROR
                // and writes nothing): without it, ending an empty message right after the previous one would be
                // refused as a duplicate flush, where the message needs its empty stored block.
                ZlibNative.Deflate(z, ZlibNative.NoFlush);
                IsInsideMessage = true;
            }
            z->AvailIn = (uint)source.Length;
            while (true)
            {
                uint inBefore = z->AvailIn, outBefore = z->AvailOut;
                int rc = ZlibNative.Deflate(z, flush);
                // Z_BUF_ERROR only means "no progress was possible"; anything else is a bug in this class.
                if (rc != ZlibNative.Ok && rc != ZlibNative.BufferError)
                    throw new InvalidOperationException($"zlib deflate failed unexpectedly (error {rc}).");
                if (z->AvailOut == 0) break;      // destination full: more may be pending
                if (z->AvailIn != 0)
                {
                    // zlib may stop early (stored blocks waiting for window space); call again while it progresses.
                    if (z->AvailIn == inBefore && z->AvailOut == outBefore)
                        throw new InvalidOperationException("zlib deflate made no progress.");
                    continue;
                }
                // All input taken and room left: without a flush that is all; with one, zlib documents the flush as
                // complete when it returns with output space left (it has at least 12 bytes of room here, so it
                // never loops on repeated flush markers).
                complete = isEndOfMessage;
                break;
            }
            bytesConsumed = source.Length - (int)z->AvailIn;
            bytesWritten = destination.Length - (int)z->AvailOut; // includes the held bytes put in front
            z->NextIn = null;
            z->NextOut = null;
            z->AvailIn = 0;
            z->AvailOut = 0;
        }

        int total = bytesWritten;
        if (complete)
        {
            // The stream now ends with the empty stored block 00 00 FF FF, which RFC 7692 §7.2.1 removes.
            // The hold-back below guarantees those 4 bytes are still in the destination.
            if (total < 4 || !destination.Slice(total - 4, 4).SequenceEqual(Trailer))
                throw new InvalidOperationException("zlib did not end the flushed message with 00 00 FF FF.");
            bytesWritten = total - 4;
            _heldCount = 0;
            IsInsideMessage = false;
            return OperationStatus.Done;
        }

        // Hold back the last (up to) 4 bytes: they may turn out to be the trailer.
        int keep = Math.Min(4, total);
        destination.Slice(total - keep, keep).CopyTo(_held);
        _heldCount = keep;
        bytesWritten = total - keep;
        return bytesConsumed == source.Length && !isEndOfMessage ? OperationStatus.Done : OperationStatus.DestinationTooSmall;
    }

    /// <summary>
    /// Makes the next message independent of every earlier one, as if the context had been reset (its first bytes are
    /// then an empty stored block). Needed when the peer's inflater received a message this compressor did not make
    /// (a <see cref="WsCore.Protocol.PreparedMessage"/> compressed elsewhere): with context takeover the peer's window now
    /// holds bytes this compressor's window does not, and a back-reference would point at the wrong bytes. Call it
    /// between messages.
    /// </summary>
    internal void ForgetHistory()
    {
        if (!NoContextTakeover) _forgetHistory = true;
    }

    /// <summary>Releases the native zlib state. Safe to call more than once.</summary>
    public void Dispose() => _stream.Dispose();
}
