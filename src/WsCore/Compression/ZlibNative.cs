using System.Runtime.InteropServices;

namespace WsCore.Compression;

/// <summary>
/// Binding to the zlib that ships inside the .NET shared framework: the <c>System.IO.Compression.Native</c>
/// library (zlib-ng 2.2 in .NET 9 and later, statically linked), through its <c>CompressionNative_*</c> exports.
/// Those exports wrap a <c>z_stream</c> that the library allocates itself; callers see only <see cref="ZStream"/>
/// (the runtime's <c>PAL_ZStream</c>). Using this library means no extra native dependency: it is present wherever
/// the .NET runtime is (Linux, macOS, Windows; framework-dependent and self-contained apps).
/// </summary>
internal static unsafe partial class ZlibNative
{
    private const string LibraryName = "System.IO.Compression.Native";

    // Flush values (zlib.h).
    internal const int NoFlush = 0;
    internal const int SyncFlush = 2;
    internal const int FullFlush = 3;

    // Return codes (zlib.h).
    internal const int Ok = 0;
    internal const int StreamEnd = 1;
    internal const int DataError = -3;
    internal const int MemoryError = -4;
    internal const int BufferError = -5;

    internal const int Deflated = 8;
    internal const int DefaultStrategy = 0;

    /// <summary>The runtime's <c>PAL_ZStream</c>: same field order and types as its C definition.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ZStream
    {
        public byte* NextIn;
        public byte* NextOut;
        public sbyte* Message;
        public void* InternalState;
        public uint AvailIn;
        public uint AvailOut;
    }

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_DeflateInit2_")]
    internal static partial int DeflateInit2(ZStream* stream, int level, int method, int windowBits, int memLevel, int strategy);

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_Deflate")]
    internal static partial int Deflate(ZStream* stream, int flush);

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_DeflateEnd")]
    internal static partial int DeflateEnd(ZStream* stream);

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_InflateInit2_")]
    internal static partial int InflateInit2(ZStream* stream, int windowBits);

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_Inflate")]
    internal static partial int Inflate(ZStream* stream, int flush);

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_InflateEnd")]
    internal static partial int InflateEnd(ZStream* stream);

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_InflateReset2_")]
    internal static partial int InflateReset2(ZStream* stream, int windowBits);
}
