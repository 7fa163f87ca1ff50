using System.Buffers;
using WsCore.Compression;
using WsCore.Framing;

namespace WsCore.Protocol;

/// <summary>
/// A whole message framed once (and, for connections with permessage-deflate, compressed once) to be sent to any number
/// of connections: a broadcast. Send it with <see cref="WebSocketProtocol.WritePreparedMessage"/> or
/// <c>WebSocketConnection.SendAsync(PreparedMessage, CancellationToken)</c>; each send copies the prepared frame into
/// the transport's buffer and does nothing else per recipient (no framing, no compression, no allocation).
/// </summary>
/// <remarks>
/// <para><b>What it holds.</b> The server-role frame (unmasked header and payload), made by the constructor; and, made
/// on first use by a connection that negotiated permessage-deflate, one compressed frame (RSV1 set) per window size
/// such connections use (<c>server_max_window_bits</c> for a server, <c>client_max_window_bits</c> for a client; in
/// practice one: 15). The compressed bytes come from a compressor that starts without history and forgets it after
/// the message, so they refer to nothing sent before and inflate correctly whatever window the receiving peer already
/// holds (RFC 7692 §7.2.2).</para>
/// <para><b>Context takeover.</b> A connection whose own compressor keeps its context (no <c>server_no_context_takeover</c>
/// for a server) can still take the shared compressed frame: its peer's inflater appends the message to its window
/// while the connection's compressor never saw it, so the connection makes its compressor forget its history before
/// its next own message (zlib full flush: an empty stored block, 5 bytes on that message, and that one message cannot
/// refer back to earlier ones). RFC 7692 §7.1.1 leaves it to the sender whether it uses the previous messages; the
/// peer is never asked to change anything. No per-connection compression is ever done for a prepared message.</para>
/// <para><b>Client role.</b> A client must mask every frame with a fresh key (RFC 6455 §5.3), so a client connection
/// writes a new header and masks the payload while copying it into the transport's buffer: the same one copy, with
/// the XOR done on the way.</para>
/// <para><b>Thread safety.</b> Immutable once made (its lazily made compressed frames are published once, under a
/// lock); any number of connections may send it at the same time.</para>
/// <para><b>Memory.</b> The uncompressed frame is payload + 2-10 bytes; each compressed frame its compressed size.
/// Compressors used for prepared messages (one per window size in use, about 342 KiB of native memory each at window
/// 15) are kept for reuse by the next prepared message for the life of the process.</para>
/// <para>Text payloads are not validated (as for <see cref="WebSocketProtocol.WriteMessage"/>): sending valid UTF-8 is
/// the caller's part.</para>
/// </remarks>
public sealed class PreparedMessage
{
    private const int MinWindowBits = 8;
    private const int WindowSizes = 8; // window bits 8 to 15

    // Compressors without context takeover, one per window size, kept for the next prepared message.
    private static readonly PerMessageDeflateCompressor?[] s_compressors = new PerMessageDeflateCompressor?[WindowSizes];

    private readonly byte[] _frame;         // server-role frame: header + payload, FIN set, RSV clear (its payload is what is compressed)
    private readonly byte[]?[]? _compressed; // server-role compressed frames by window bits - 8
    private readonly Lock _compressLock = new();

    /// <summary>Frames a message to be sent to many connections.</summary>
    /// <param name="payload">The whole message (copied: the caller may reuse its buffer at once).</param>
    /// <param name="kind"><see cref="MessageKind.Text"/> or <see cref="MessageKind.Binary"/>.</param>
    /// <param name="compress">True (the default) to send it compressed to connections that negotiated
    /// permessage-deflate; false to send it uncompressed (RSV1 clear) to every connection, as RFC 7692 allows for any
    /// message (for a payload that does not compress, such as an image or already compressed data).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not <see cref="MessageKind.Text"/> or <see cref="MessageKind.Binary"/>.</exception>
    public PreparedMessage(ReadOnlySpan<byte> payload, MessageKind kind, bool compress = true)
    {
        if (kind is not (MessageKind.Text or MessageKind.Binary)) throw new ArgumentOutOfRangeException(nameof(kind));
        Kind = kind;
        IsCompressible = compress;
        _frame = new byte[FrameHeader.GetEncodedLength(payload.Length, false) + payload.Length];
        FrameWriter.WriteUnchecked(_frame, (WebSocketOpcode)kind, payload, true, 0, false, 0);
        _compressed = compress ? new byte[]?[WindowSizes] : null;
    }

    /// <summary>The message's type.</summary>
    public MessageKind Kind { get; }

    /// <summary>The payload's length in bytes (uncompressed).</summary>
    public int Length => _frame.Length - HeaderLength(_frame);

    /// <summary>True when the message is sent compressed to connections that negotiated permessage-deflate.</summary>
    public bool IsCompressible { get; }

    /// <summary>
    /// The server-role frame to send on a connection: the uncompressed one for <paramref name="windowBits"/> 0 (or when
    /// the message is not compressible), else the compressed one for that window size, made on first use.
    /// </summary>
    internal ReadOnlySpan<byte> GetFrame(int windowBits, out bool compressed)
    {
        compressed = windowBits != 0 && _compressed is not null;
        if (!compressed) return _frame;
        byte[]? frame = Volatile.Read(ref _compressed![windowBits - MinWindowBits]);
        return frame ?? Compress(windowBits);
    }

    /// <summary>The length of the frame <see cref="GetFrame"/> returns, without making it: an estimate (the payload and the longest header) for a compressed frame not made yet.</summary>
    internal int GetFrameLength(int windowBits)
    {
        if (windowBits == 0 || _compressed is null) return _frame.Length;
        return Volatile.Read(ref _compressed[windowBits - MinWindowBits])?.Length ?? _frame.Length + FrameHeader.MaxLength;
    }

    private byte[] Compress(int windowBits)
    {
        lock (_compressLock)
        {
            ref byte[]? slot = ref _compressed![windowBits - MinWindowBits];
            if (slot is not null) return slot;
            PerMessageDeflateCompressor compressor = Interlocked.Exchange(ref s_compressors[windowBits - MinWindowBits], null)
                ?? new PerMessageDeflateCompressor(windowBits, noContextTakeover: true);
            byte[] frame;
            try
            {
                frame = CompressFrame(compressor, _frame.AsSpan(HeaderLength(_frame)), (WebSocketOpcode)Kind);
            }
            catch
            {
                compressor.Dispose(); // its state is unknown: never reused
                throw;
            }
            if (Interlocked.CompareExchange(ref s_compressors[windowBits - MinWindowBits], compressor, null) is not null) compressor.Dispose();
            Volatile.Write(ref slot, frame);
            return frame;
        }
    }

    /// <summary>Compresses a whole message (the compressor forgets its history after it) into one final frame with RSV1 set.</summary>
    private static byte[] CompressFrame(PerMessageDeflateCompressor compressor, ReadOnlySpan<byte> payload, WebSocketOpcode opcode)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(payload.Length + (payload.Length >> 8) + 64);
        try
        {
            int written = 0;
            bool grow = false;
            while (true)
            {
                if (grow || buffer.Length - written < 64)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, written).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                OperationStatus status = compressor.Compress(payload, buffer.AsSpan(written), true, out int used, out int produced);
                payload = payload.Slice(used);
                written += produced;
                if (status == OperationStatus.Done) break;
                grow = used == 0 && produced == 0; // never expected with 64 bytes of room; growing ends any such loop
            }
            byte[] frame = new byte[FrameHeader.GetEncodedLength(written, false) + written];
            int header = FrameHeader.Write(frame, true, FrameHeader.Rsv1Bit, opcode, written, false, 0);
            buffer.AsSpan(0, written).CopyTo(frame.AsSpan(header));
            return frame;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The length of an unmasked server-role header at the start of <paramref name="frame"/>.</summary>
    internal static int HeaderLength(ReadOnlySpan<byte> frame) => (frame[1] & 0x7F) switch
    {
        126 => 4,
        127 => 10,
        _ => 2,
    };

    /// <summary>
    /// Writes a server-role frame made by <see cref="GetFrame"/> into <paramref name="output"/>: as it is, or (client
    /// role) with a masked header and the payload masked while it is copied. Large frames go in pieces of whatever size
    /// the writer offers.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    internal static int WriteFrame(IBufferWriter<byte> output, ReadOnlySpan<byte> frame, bool masked)
    {
        int written;
        if (!masked)
        {
            written = frame.Length;
            if (frame.Length <= FrameWriter.SingleSpanPayloadLength)
            {
                Span<byte> span = output.GetSpan(frame.Length);
                frame.CopyTo(span);
                output.Advance(frame.Length);
                return written;
            }
            CopyInPieces(output, frame, masked: false, 0);
            return written;
        }
        int headerLength = HeaderLength(frame);
        ReadOnlySpan<byte> payload = frame.Slice(headerLength);
        uint key = MaskKeys.Next();
        int maskedHeader = FrameHeader.GetEncodedLength(payload.Length, true);
        written = maskedHeader + payload.Length;
        if (payload.Length <= FrameWriter.SingleSpanPayloadLength)
        {
            Span<byte> span = output.GetSpan(written);
            FrameHeader.Write(span, true, (byte)(frame[0] & 0x70), (WebSocketOpcode)(frame[0] & 0x0F), payload.Length, true, key);
            Masking.Apply(payload, span.Slice(maskedHeader), key, 0);
            output.Advance(written);
            return written;
        }
        Span<byte> headerSpan = output.GetSpan(maskedHeader);
        FrameHeader.Write(headerSpan, true, (byte)(frame[0] & 0x70), (WebSocketOpcode)(frame[0] & 0x0F), payload.Length, true, key);
        output.Advance(maskedHeader);
        CopyInPieces(output, payload, masked: true, key);
        return written;
    }

    private static void CopyInPieces(IBufferWriter<byte> output, ReadOnlySpan<byte> source, bool masked, uint key)
    {
        int maskOffset = 0;
        while (!source.IsEmpty)
        {
            Span<byte> span = output.GetSpan(Math.Min(source.Length, FrameWriter.SingleSpanPayloadLength));
            int n = Math.Min(span.Length, source.Length);
            if (masked) maskOffset = Masking.Apply(source.Slice(0, n), span, key, maskOffset);
            else source.Slice(0, n).CopyTo(span);
            output.Advance(n);
            source = source.Slice(n);
        }
    }
}
