using System.Runtime.InteropServices;

namespace WsCore.Compression;

/// <summary>
/// Owns one native <see cref="ZlibNative.ZStream"/> (allocated with <see cref="NativeMemory"/>) and the zlib state
/// behind it. Releasing the handle ends the stream (<c>deflateEnd</c>/<c>inflateEnd</c>, which also frees the
/// library's <c>z_stream</c>) and frees the block. <see cref="SafeHandle"/> makes double dispose harmless and
/// frees the native memory from the finalizer if the owner was never disposed.
/// </summary>
internal sealed unsafe class ZStreamHandle : SafeHandle
{
    private readonly bool _isDeflate;
    private bool _initialized;

    private ZStreamHandle(bool isDeflate) : base(IntPtr.Zero, ownsHandle: true)
    {
        _isDeflate = isDeflate;
        SetHandle((IntPtr)NativeMemory.AllocZeroed((nuint)sizeof(ZlibNative.ZStream)));
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The native stream; valid until the handle is disposed.</summary>
    public ZlibNative.ZStream* Stream => (ZlibNative.ZStream*)handle;

    /// <summary>Creates a raw-deflate compressor stream. Throws on invalid settings or native out-of-memory.</summary>
    public static ZStreamHandle CreateDeflate(int level, int windowBits, int memLevel)
    {
        var h = new ZStreamHandle(isDeflate: true);
        int rc = ZlibNative.DeflateInit2(h.Stream, level, ZlibNative.Deflated, -windowBits, memLevel, ZlibNative.DefaultStrategy);
        h.AfterInit(rc);
        return h;
    }

    /// <summary>Creates a raw-inflate decompressor stream. Throws on invalid settings or native out-of-memory.</summary>
    public static ZStreamHandle CreateInflate(int windowBits)
    {
        var h = new ZStreamHandle(isDeflate: false);
        int rc = ZlibNative.InflateInit2(h.Stream, -windowBits);
        h.AfterInit(rc);
        return h;
    }

    private void AfterInit(int rc)
    {
        if (rc == ZlibNative.Ok)
        {
            _initialized = true;
            return;
        }
        // A failed init may still have allocated the library's z_stream: End() frees it.
        _initialized = Stream->InternalState != null;
        Dispose();
        if (rc == ZlibNative.MemoryError) throw new OutOfMemoryException("zlib could not allocate its state.");
        throw new ArgumentException($"zlib rejected the stream settings (error {rc}).");
    }

    protected override bool ReleaseHandle()
    {
        var s = (ZlibNative.ZStream*)handle;
        if (_initialized && s->InternalState != null)
        {
            if (_isDeflate) ZlibNative.DeflateEnd(s);
            else ZlibNative.InflateEnd(s);
        }
        NativeMemory.Free(s);
        return true;
    }
}
