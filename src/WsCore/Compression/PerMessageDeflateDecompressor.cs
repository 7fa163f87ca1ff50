using WsCore.Framing;
using System.Buffers;

namespace WsCore.Compression;

/// <summary>
/// Decompresses the messages the peer sends under permessage-deflate (RFC 7692 §7.2.2): the payloads of a message's
/// frames are fed in order (in any number of pieces), and at the end of the message the removed trailer
/// <c>00 00 FF FF</c> is appended internally. Output goes into caller-owned spans, one call at a time, so the caller
/// decides how much inflated data it accepts (max message size) and is never forced to buffer more than one span past
/// its limit: a decompression bomb costs at most one destination span. One instance per connection (receiving
/// direction); not thread-safe; never throws on data, never loops without progress.
/// </summary>
/// <remarks>
/// <para><b>Window.</b> The inflater always keeps zlib's full 32 KiB window, whatever window the peer negotiated:
/// the negotiated bits bound what the peer's compressor may refer back to, and a conforming stream inflates the same
/// either way. A peer that breaks its own negotiation (refers farther back than its window, but within the data it
/// sent, which is all DEFLATE can express) is accepted. That is deliberate: zlib measures a distance against the
/// history it holds plus the output of the current call, so an inflater with the negotiated window would accept or
/// reject such a stream depending on how the input and the destinations happened to be split; with the full window
/// the verdict depends on the bytes alone (the fuzz targets check exactly that). A distance beyond everything inflated
/// so far is invalid data either way.</para>
/// <para><b>Memory.</b> zlib-ng 2.2 allocates once per decompressor about 41.5 KiB (measured), whatever the window
/// bits: its inflate state always holds a 32 KiB window, so the full window costs nothing extra.</para>
/// <para><b>Final blocks.</b> A peer may end its DEFLATE stream with a block whose BFINAL bit is set (RFC 7692
/// §7.2.3.5). The inflater is then reset: bytes that follow in the same message start a new stream (the RFC's
/// example ends with such a <c>00</c> octet), and if the stream ended at the end of the message, the appended
/// trailer is ignored and the next message starts a new stream.</para>
/// <para><b>Empty payload.</b> A compressed message whose frames carry no payload at all decompresses to an empty
/// message without touching the inflater's state.</para>
/// </remarks>
public sealed unsafe class PerMessageDeflateDecompressor : IDisposable
{
    private static ReadOnlySpan<byte> Trailer => [0x00, 0x00, 0xFF, 0xFF];

    private readonly ZStreamHandle _stream;
    private const int ZlibWindowBits = 15;
    private int _trailerFed;        // how many trailer bytes the inflater has taken for the current message
    private bool _sawPeerBytes;     // the current message had at least one payload byte
    private bool _streamEnded;      // a final (BFINAL) block ended the DEFLATE stream in the current message
    private bool _failed;
    private bool _outputPending;    // the last call filled its destination: the inflater may hold more output

    /// <summary>Creates a decompressor.</summary>
    /// <param name="windowBits">The peer's negotiated window bits, 8 to 15 (recorded; the inflater keeps the full window, see remarks).</param>
    /// <param name="noContextTakeover">True if the peer compresses every message independently (the inflater is then
    /// reset after each message).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="windowBits"/> is outside 8-15.</exception>
    public PerMessageDeflateDecompressor(int windowBits, bool noContextTakeover)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBits, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowBits, 15);
        WindowBits = windowBits;
        NoContextTakeover = noContextTakeover;
        _stream = ZStreamHandle.CreateInflate(ZlibWindowBits);
    }

    /// <summary>Creates the decompressor for the messages the peer sends, from the negotiated parameters.</summary>
    /// <param name="parameters">The agreed parameters.</param>
    /// <param name="role">This endpoint's role (the peer has the other).</param>
    public PerMessageDeflateDecompressor(in PerMessageDeflateParameters parameters, WebSocketRole role)
        : this(parameters.ReceiveWindowBits(role), parameters.ReceiveNoContextTakeover(role))
    {
    }

    /// <summary>The peer's negotiated window bits (8 to 15).</summary>
    public int WindowBits { get; }

    /// <summary>True if the inflater is reset after every message.</summary>
    public bool NoContextTakeover { get; }

    /// <summary>True once invalid data was seen; every later call returns <see cref="OperationStatus.InvalidData"/>.</summary>
    public bool HasFailed => _failed;

    /// <summary>
    /// Decompresses the next piece of a compressed message into <paramref name="destination"/>.
    /// </summary>
    /// <param name="source">The next compressed payload bytes of the message (already unmasked; may be empty).</param>
    /// <param name="destination">Where decompressed bytes go; must not be empty.</param>
    /// <param name="isEndOfMessage">True if <paramref name="source"/> ends the message's payload (the frame has FIN
    /// and this is its last piece).</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="source"/> were taken.</param>
    /// <param name="bytesWritten">How many decompressed bytes were written to <paramref name="destination"/>.</param>
    /// <returns>
    /// <see cref="OperationStatus.Done"/>: the message is complete (only with <paramref name="isEndOfMessage"/>); the
    /// next call starts a new message.
    /// <see cref="OperationStatus.NeedMoreData"/>: all of <paramref name="source"/> was taken and all output it
    /// produced was written; feed the next piece of the message.
    /// <see cref="OperationStatus.DestinationTooSmall"/>: <paramref name="destination"/> is full and more output may be
    /// pending; count/consume what was written and call again with the rest of <paramref name="source"/> (possibly
    /// empty), the same <paramref name="isEndOfMessage"/> and a fresh destination. A call after this status may write
    /// nothing and return the final status.
    /// <see cref="OperationStatus.InvalidData"/>: the data is not valid DEFLATE (fail the connection with 1007); the
    /// decompressor stays failed.
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is empty.</exception>
    /// <exception cref="ObjectDisposedException">The decompressor was disposed.</exception>
    /// <exception cref="OutOfMemoryException">zlib could not allocate memory (never caused by the data itself).</exception>
    public OperationStatus Decompress(ReadOnlySpan<byte> source, Span<byte> destination, bool isEndOfMessage,
        out int bytesConsumed, out int bytesWritten)
    {
        if (destination.IsEmpty)
            throw new ArgumentException("The destination must not be empty.", nameof(destination));
        ObjectDisposedException.ThrowIf(_stream.IsClosed, this);
        // The reference keeps the native state alive even if another thread disposes this object meanwhile.
        bool addedReference = false;
        try
        {
            _stream.DangerousAddRef(ref addedReference);
            return DecompressCore(source, destination, isEndOfMessage, out bytesConsumed, out bytesWritten);
        }
        finally
        {
            if (addedReference) _stream.DangerousRelease();
        }
    }

    private OperationStatus DecompressCore(ReadOnlySpan<byte> source, Span<byte> destination, bool isEndOfMessage,
        out int bytesConsumed, out int bytesWritten)
    {
        bytesConsumed = 0;
        bytesWritten = 0;
        if (_failed) return OperationStatus.InvalidData;

        ZlibNative.ZStream* z = _stream.Stream;
        fixed (byte* output = destination)
        {
            // Phase 1: the peer's bytes.
            // A call after DestinationTooSmall runs even without input, to drain what the inflater still holds.
            if (!source.IsEmpty || (_outputPending && !_streamEnded && _trailerFed == 0))
            {
                if (!source.IsEmpty)
                {
                    _sawPeerBytes = true;
                    if (_trailerFed != 0) return Fail(); // more bytes after the message was ended
                }
                fixed (byte* input = source)
                {
                    int idleStreamEnds = 0;
                    while (bytesWritten < destination.Length)
                    {
                        if (_streamEnded)
                        {
                            // A final block ended the DEFLATE stream; what follows in the message starts a new one
                            // (RFC 7692 §7.2.3.5: "f3 48 cd c9 c9 07 00" then a 00 octet).
                            if (bytesConsumed == source.Length) break;
                            int reset = ZlibNative.InflateReset2(z, -ZlibWindowBits);
                            if (reset != ZlibNative.Ok) return Fail(reset);
                            _streamEnded = false;
                        }
                        int rc = Run(z, input + bytesConsumed, source.Length - bytesConsumed, output + bytesWritten,
                            destination.Length - bytesWritten, out int taken, out int produced);
                        bytesConsumed += taken;
                        bytesWritten += produced;
                        if (rc == ZlibNative.StreamEnd)
                        {
                            // zlib may report the end of a stream whose last output filled the previous destination
                            // with no input or output in this call: that is legitimate once; twice would be a loop.
                            if (taken == 0 && produced == 0 && ++idleStreamEnds > 1) return Fail();
                            _streamEnded = true;
                            continue;
                        }
                        if (rc != ZlibNative.Ok && rc != ZlibNative.BufferError) return Fail(rc);
                        break;
                    }
                }
                if (bytesWritten == destination.Length) return OutputFull();
                // With room left, inflate stops only when its input is used up.
                if (bytesConsumed != source.Length) return Fail();
            }

            _outputPending = false;
            if (!isEndOfMessage) return OperationStatus.NeedMoreData;

            // Phase 2: the trailer 00 00 FF FF that the sender removed (RFC 7692 §7.2.2).
            // Runs again after a DestinationTooSmall even when the trailer is all taken, to drain pending output.
            if (_sawPeerBytes && !_streamEnded)
            {
                fixed (byte* trailer = Trailer)
                {
                    int rc = Run(z, trailer + _trailerFed, Trailer.Length - _trailerFed, output + bytesWritten,
                        destination.Length - bytesWritten, out int taken, out int produced);
                    _trailerFed += taken;
                    bytesWritten += produced;
                    if (rc == ZlibNative.StreamEnd) _streamEnded = true;
                    else if (rc != ZlibNative.Ok && rc != ZlibNative.BufferError) return Fail(rc);
                }
                if (bytesWritten == destination.Length) return OutputFull();
                if (!_streamEnded && _trailerFed != Trailer.Length) return Fail();
            }
        }

        // The message is complete and all of its output was delivered.
        _outputPending = false;
        if (_streamEnded || (NoContextTakeover && _sawPeerBytes))
        {
            int rc = ZlibNative.InflateReset2(z, -ZlibWindowBits);
            if (rc != ZlibNative.Ok) return Fail(rc);
        }
        _trailerFed = 0;
        _sawPeerBytes = false;
        _streamEnded = false;
        return OperationStatus.Done;
    }

    private static int Run(ZlibNative.ZStream* z, byte* input, int inputLength, byte* output, int outputLength,
        out int taken, out int produced)
    {
        z->NextIn = input;
        z->AvailIn = (uint)inputLength;
        z->NextOut = output;
        z->AvailOut = (uint)outputLength;
        int rc = ZlibNative.Inflate(z, ZlibNative.SyncFlush);
        taken = inputLength - (int)z->AvailIn;
        produced = outputLength - (int)z->AvailOut;
        z->NextIn = null;
        z->NextOut = null;
        z->AvailIn = 0;
        z->AvailOut = 0;
        return rc;
    }

    private OperationStatus OutputFull()
    {
        _outputPending = true;
        return OperationStatus.DestinationTooSmall;
    }

    private OperationStatus Fail(int zlibResult = ZlibNative.DataError)
    {
        if (zlibResult == ZlibNative.MemoryError) throw new OutOfMemoryException("zlib could not allocate memory.");
        _failed = true;
        return OperationStatus.InvalidData;
    }

    /// <summary>Releases the native zlib state. Safe to call more than once.</summary>
    public void Dispose() => _stream.Dispose();
}
