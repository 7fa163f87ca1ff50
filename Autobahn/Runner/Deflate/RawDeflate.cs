using System.Runtime.InteropServices;

namespace ConformanceRunner.Deflate;

/// <summary>
/// A small private binding to the zlib inside the .NET shared framework (<c>System.IO.Compression.Native</c>, its
/// <c>CompressionNative_*</c> exports over the runtime's <c>PAL_ZStream</c>). The runner needs it because the
/// permessage-deflate cases compress and inflate with window sizes below 15 bits (9 in 13.3/13.5/13.7), which
/// <see cref="System.IO.Compression.DeflateStream"/> cannot do. Deliberately independent of src/WsCore.
/// </summary>
internal static unsafe partial class Zlib
{
    private const string Library = "System.IO.Compression.Native";

    public const int NoFlush = 0, SyncFlush = 2;
    public const int Ok = 0, StreamEnd = 1, BufError = -5;
    public const int DefaultLevel = -1, Deflated = 8, DefaultMemLevel = 8, DefaultStrategy = 0;

    /// <summary>The runtime's PAL_ZStream layout (next_in, next_out, msg, internal state, avail_in, avail_out).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stream
    {
        public byte* NextIn;
        public byte* NextOut;
        public sbyte* Msg;
        public void* State;
        public uint AvailIn;
        public uint AvailOut;
    }

    [LibraryImport(Library, EntryPoint = "CompressionNative_DeflateInit2_")]
    public static partial int DeflateInit2(Stream* s, int level, int method, int windowBits, int memLevel, int strategy);

    [LibraryImport(Library, EntryPoint = "CompressionNative_Deflate")]
    public static partial int Deflate(Stream* s, int flush);

    [LibraryImport(Library, EntryPoint = "CompressionNative_DeflateEnd")]
    public static partial int DeflateEnd(Stream* s);

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateInit2_")]
    public static partial int InflateInit2(Stream* s, int windowBits);

    [LibraryImport(Library, EntryPoint = "CompressionNative_Inflate")]
    public static partial int Inflate(Stream* s, int flush);

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateEnd")]
    public static partial int InflateEnd(Stream* s);
}

/// <summary>
/// The sending half of permessage-deflate (RFC 7692 §7.2.1): raw DEFLATE with the agreed window, each message ended
/// with a sync flush whose trailing 00 00 FF FF is removed. Without context takeover the compressor starts afresh
/// for every message (zlib's deflate state is ended and made again, as wstest's Python does with a new compressobj).
/// Compression level 6 and memory level 8, zlib's defaults, as wstest uses.
/// </summary>
internal sealed unsafe class MessageDeflater : IDisposable
{
    private readonly int _windowBits;
    private readonly bool _noContextTakeover;
    private readonly int _level;
    private Zlib.Stream* _s;

    public MessageDeflater(int windowBits, bool noContextTakeover, int level = Zlib.DefaultLevel)
    {
        if (windowBits is < 9 or > 15) throw new ArgumentOutOfRangeException(nameof(windowBits));
        _windowBits = windowBits;
        _noContextTakeover = noContextTakeover;
        _level = level;
    }

    public int WindowBits => _windowBits;
    public bool NoContextTakeover => _noContextTakeover;

    private void Open()
    {
        _s = (Zlib.Stream*)NativeMemory.AllocZeroed((nuint)sizeof(Zlib.Stream));
        int rc = Zlib.DeflateInit2(_s, _level, Zlib.Deflated, -_windowBits, Zlib.DefaultMemLevel, Zlib.DefaultStrategy);
        if (rc != Zlib.Ok) { End(); throw new InvalidOperationException($"deflateInit2 failed ({rc})"); }
    }

    private void End()
    {
        if (_s == null) return;
        if (_s->State != null) Zlib.DeflateEnd(_s);
        NativeMemory.Free(_s);
        _s = null;
    }

    /// <summary>Compresses one whole message; the result is the payload to send (without the 4-octet tail).</summary>
    public byte[] Compress(ReadOnlySpan<byte> message)
    {
        if (_s == null || _noContextTakeover) { End(); Open(); }
        var output = new byte[message.Length + message.Length / 8 + 64];
        int produced = 0;
        fixed (byte* inp = message)
        {
            _s->NextIn = inp;
            _s->AvailIn = (uint)message.Length;
            while (true)
            {
                if (produced == output.Length) Array.Resize(ref output, output.Length * 2);
                fixed (byte* outp = output)
                {
                    _s->NextOut = outp + produced;
                    _s->AvailOut = (uint)(output.Length - produced);
                    int rc = Zlib.Deflate(_s, Zlib.SyncFlush);
                    produced = output.Length - (int)_s->AvailOut;
                    if (rc != Zlib.Ok && rc != Zlib.BufError) throw new InvalidOperationException($"deflate failed ({rc})");
                    // done when all input is consumed and the flush fit (output space left over)
                    if (_s->AvailIn == 0 && _s->AvailOut != 0) break;
                }
            }
            _s->NextIn = null;
            _s->NextOut = null;
        }
        // An empty message right after a flushed one produces nothing at all (zlib has nothing to flush); an empty
        // payload would not inflate to nothing on the other side, so send RFC 7692 §7.2.3.6's single 0x00 octet.
        if (produced == 0 && message.IsEmpty) return new byte[] { 0x00 };
        if (produced < 4 || !output.AsSpan(produced - 4, 4).SequenceEqual(RawInflaterTail.Tail))
            throw new InvalidOperationException("a sync flush did not end with 00 00 FF FF");
        return output.AsSpan(0, produced - 4).ToArray();
    }

    public void Dispose() => End();
}

internal static class RawInflaterTail
{
    public static ReadOnlySpan<byte> Tail => [0x00, 0x00, 0xFF, 0xFF];
}

/// <summary>
/// The receiving half of permessage-deflate (RFC 7692 §7.2.2): appends 00 00 FF FF to the message's payload and
/// inflates with the agreed window. Without context takeover the inflater starts afresh for every message, so a
/// peer that refers back to an earlier message despite agreeing not to produces an error here, as in wstest.
/// </summary>
internal sealed unsafe class MessageInflater : IDisposable
{
    private readonly int _windowBits;
    private readonly bool _noContextTakeover;
    private Zlib.Stream* _s;

    public MessageInflater(int windowBits, bool noContextTakeover)
    {
        if (windowBits is < 9 or > 15) throw new ArgumentOutOfRangeException(nameof(windowBits));
        _windowBits = windowBits;
        _noContextTakeover = noContextTakeover;
    }

    private void Open()
    {
        _s = (Zlib.Stream*)NativeMemory.AllocZeroed((nuint)sizeof(Zlib.Stream));
        int rc = Zlib.InflateInit2(_s, -_windowBits);
        if (rc != Zlib.Ok) { End(); throw new InvalidOperationException($"inflateInit2 failed ({rc})"); }
    }

    private void End()
    {
        if (_s == null) return;
        if (_s->State != null) Zlib.InflateEnd(_s);
        NativeMemory.Free(_s);
        _s = null;
    }

    /// <summary>Inflates one whole compressed message. False (with a reason) if the data is not valid DEFLATE for
    /// the agreed window, or inflates past <paramref name="limit"/> octets.</summary>
    public bool TryInflate(ReadOnlySpan<byte> compressed, out byte[] message, out string? error, int limit = 64 << 20)
    {
        if (_s == null || _noContextTakeover) { End(); Open(); }
        var input = new byte[compressed.Length + 4];
        compressed.CopyTo(input);
        RawInflaterTail.Tail.CopyTo(input.AsSpan(compressed.Length));
        var output = new byte[Math.Max(256, compressed.Length * 4)];
        int produced = 0;
        error = null;
        fixed (byte* inp = input)
        {
            _s->NextIn = inp;
            _s->AvailIn = (uint)input.Length;
            while (true)
            {
                if (produced == output.Length)
                {
                    if (output.Length >= limit) { error = $"the message inflates past {limit} octets"; break; }
                    Array.Resize(ref output, Math.Min(limit, output.Length * 2));
                }
                fixed (byte* outp = output)
                {
                    _s->NextOut = outp + produced;
                    _s->AvailOut = (uint)(output.Length - produced);
                    int rc = Zlib.Inflate(_s, Zlib.SyncFlush);
                    produced = output.Length - (int)_s->AvailOut;
                    if (rc == Zlib.StreamEnd)
                    {
                        // a final block is allowed (RFC 7692 §7.2.3.3 with BFINAL = 1); octets after it (the appended
                        // tail) are ignored, as by Python's decompressobj; the next message needs a new stream
                        End();
                        break;
                    }
                    if (rc == Zlib.BufError && _s->AvailOut != 0) break; // no progress possible: all input used
                    if (rc != Zlib.Ok && rc != Zlib.BufError)
                    {
                        error = $"invalid DEFLATE data (zlib error {rc}{(_s->Msg != null ? ": " + new string(_s->Msg) : "")})";
                        End();
                        break;
                    }
                    if (_s->AvailIn == 0 && _s->AvailOut != 0) break;
                }
            }
            if (_s != null) { _s->NextIn = null; _s->NextOut = null; }
        }
        message = error is null ? output.AsSpan(0, produced).ToArray() : Array.Empty<byte>();
        return error is null;
    }

    public void Dispose() => End();
}
