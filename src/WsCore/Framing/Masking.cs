using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace WsCore.Framing;

/// <summary>
/// The RFC 6455 §5.3 masking transform: XOR of the payload with a 4-byte key. The key's rotation is
/// carried across calls through <c>maskOffset</c>, so a payload can be (un)masked piece by piece.
/// </summary>
/// <remarks>
/// The work is done with the widest vectors the machine accelerates (512, 256 or 128 bits), then a
/// 64-bit, 32-bit and byte tail. Every vector width is a multiple of the 4-byte key period, so one
/// key rotated by <c>maskOffset</c> and broadcast serves every step: no per-byte key arithmetic.
/// </remarks>
public static class Masking
{
    /// <summary>Reads a mask key from its 4 wire bytes, in the form the other members take.</summary>
    /// <param name="keyBytes">At least 4 bytes: the key as it appears on the wire.</param>
    public static uint ReadKey(ReadOnlySpan<byte> keyBytes) => BinaryPrimitives.ReadUInt32LittleEndian(keyBytes);

    /// <summary>Writes a mask key to its 4 wire bytes.</summary>
    public static void WriteKey(Span<byte> destination, uint maskKey) => BinaryPrimitives.WriteUInt32LittleEndian(destination, maskKey);

    /// <summary>Masks or unmasks <paramref name="data"/> in place.</summary>
    /// <param name="data">The bytes to transform.</param>
    /// <param name="maskKey">The key, as returned by <see cref="ReadKey"/>.</param>
    /// <param name="maskOffset">How many payload bytes preceded <paramref name="data"/>, modulo 4 (0-3).</param>
    /// <returns>The offset for the next piece: <c>(maskOffset + data.Length) % 4</c>.</returns>
    public static int Apply(Span<byte> data, uint maskKey, int maskOffset)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        Xor<NoCheck>(ref p, ref p, (nuint)(uint)data.Length, RotateKey(maskKey, maskOffset));
        return (maskOffset + data.Length) & 3;
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> while masking or unmasking it.</summary>
    /// <param name="source">The bytes to transform.</param>
    /// <param name="destination">
    /// At least <c>source.Length</c> bytes; may be exactly the same memory as the source (in-place), but must not
    /// otherwise overlap it.
    /// </param>
    /// <param name="maskKey">The key, as returned by <see cref="ReadKey"/>.</param>
    /// <param name="maskOffset">How many payload bytes preceded this piece, modulo 4 (0-3).</param>
    /// <returns>The offset for the next piece: <c>(maskOffset + source.Length) % 4</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/> (a caller bug, never peer data).</exception>
    public static int Apply(ReadOnlySpan<byte> source, Span<byte> destination, uint maskKey, int maskOffset)
    {
        if (destination.Length < source.Length) ThrowDestinationTooShort();
        Xor<NoCheck>(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(destination),
            (nuint)(uint)source.Length, RotateKey(maskKey, maskOffset));
        return (maskOffset + source.Length) & 3;
    }

    /// <summary>
    /// <see cref="Apply(ReadOnlySpan{byte}, Span{byte}, uint, int)"/>, and in the same pass over the bytes, whether
    /// every transformed byte is ASCII (below 0x80). The receive path uses it for text: a piece that is all ASCII
    /// and starts at a code point boundary is valid UTF-8 without a second pass.
    /// </summary>
    /// <param name="source">The bytes to transform.</param>
    /// <param name="destination">At least <c>source.Length</c> bytes; the same memory as the source, or disjoint from it.</param>
    /// <param name="maskKey">The key, as returned by <see cref="ReadKey"/>.</param>
    /// <param name="maskOffset">How many payload bytes preceded this piece, modulo 4 (0-3).</param>
    /// <param name="allAscii">True if every byte written to <paramref name="destination"/> is below 0x80.</param>
    /// <returns>The offset for the next piece: <c>(maskOffset + source.Length) % 4</c>.</returns>
    internal static int ApplyAndCheckAscii(ReadOnlySpan<byte> source, Span<byte> destination, uint maskKey, int maskOffset, out bool allAscii)
    {
        if (destination.Length < source.Length) ThrowDestinationTooShort();
        allAscii = !Xor<AsciiCheck>(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(destination),
            (nuint)(uint)source.Length, RotateKey(maskKey, maskOffset));
        return (maskOffset + source.Length) & 3;
    }

    /// <summary>
    /// The key as it applies to a piece that starts <paramref name="maskOffset"/> bytes into the payload:
    /// byte 0 of the result masks the piece's byte 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint RotateKey(uint maskKey, int maskOffset) => BitOperations.RotateRight(maskKey, (maskOffset & 3) * 8);

    /// <summary>From this length on, the 512-bit loop first aligns its stores to 64 bytes.</summary>
    private const int AlignThreshold = 512;

    /// <summary>Type argument of <see cref="Xor{TCheck}"/>: transform only.</summary>
    private readonly struct NoCheck;

    /// <summary>Type argument of <see cref="Xor{TCheck}"/>: also OR the output bytes together, to tell whether all are ASCII.</summary>
    private readonly struct AsciiCheck;

    /// <summary>
    /// dst[i] = src[i] ^ key byte (i mod 4), for i in [0, length). src and dst are equal or disjoint.
    /// With <see cref="AsciiCheck"/> (the JIT compiles each instantiation separately, so <see cref="NoCheck"/>
    /// carries none of it) the output vectors are also ORed together while they are in registers.
    /// </summary>
    /// <returns>With <see cref="AsciiCheck"/>: true if some output byte has its high bit set. Otherwise false.</returns>
    private static unsafe bool Xor<TCheck>(ref byte src, ref byte dst, nuint length, uint key) where TCheck : struct
    {
        nuint i = 0;
        bool anyHigh = false;
        if (length >= 16)
        {
            if (Vector512.IsHardwareAccelerated && length >= 64)
            {
                if (length >= AlignThreshold)
                {
                    // Split-line 64-byte accesses cost about twice as much; GC arrays start 16 bytes into a
                    // line. Transform a head so the stores become 64-byte aligned, then rotate the key past it.
                    // The address is only a hint: if the GC moves the buffer now, the loop is merely unaligned.
                    nuint head = (nuint)(-(nint)Unsafe.AsPointer(ref dst)) & 63;
                    if (head != 0)
                    {
                        anyHigh = XorShort<TCheck>(ref src, ref dst, head, key);
                        src = ref Unsafe.Add(ref src, head);
                        dst = ref Unsafe.Add(ref dst, head);
                        length -= head;
                        key = BitOperations.RotateRight(key, (int)(head & 3) * 8);
                    }
                }
                Vector512<byte> k = Vector512.Create(key).AsByte();
                Vector512<byte> seen = Vector512<byte>.Zero;
                if (length >= 256)
                {
                    nuint last4 = length - 256;
                    do
                    {
                        Vector512<byte> a = Vector512.LoadUnsafe(ref src, i) ^ k;
                        Vector512<byte> b = Vector512.LoadUnsafe(ref src, i + 64) ^ k;
                        Vector512<byte> c = Vector512.LoadUnsafe(ref src, i + 128) ^ k;
                        Vector512<byte> d = Vector512.LoadUnsafe(ref src, i + 192) ^ k;
                        a.StoreUnsafe(ref dst, i);
                        b.StoreUnsafe(ref dst, i + 64);
                        c.StoreUnsafe(ref dst, i + 128);
                        d.StoreUnsafe(ref dst, i + 192);
                        if (typeof(TCheck) == typeof(AsciiCheck)) seen |= (a | b) | (c | d);
                        i += 256;
                    }
                    while (i <= last4);
                }
                while (length - i >= 64)
                {
                    Vector512<byte> a = Vector512.LoadUnsafe(ref src, i) ^ k;
                    a.StoreUnsafe(ref dst, i);
                    if (typeof(TCheck) == typeof(AsciiCheck)) seen |= a;
                    i += 64;
                }
                if (typeof(TCheck) == typeof(AsciiCheck)) anyHigh |= (seen & Vector512.Create((byte)0x80)) != Vector512<byte>.Zero;
            }
            else if (Vector256.IsHardwareAccelerated && length >= 32)
            {
                Vector256<byte> k = Vector256.Create(key).AsByte();
                Vector256<byte> seen = Vector256<byte>.Zero;
                if (length >= 128)
                {
                    nuint last4 = length - 128;
                    do
                    {
                        Vector256<byte> a = Vector256.LoadUnsafe(ref src, i) ^ k;
                        Vector256<byte> b = Vector256.LoadUnsafe(ref src, i + 32) ^ k;
                        Vector256<byte> c = Vector256.LoadUnsafe(ref src, i + 64) ^ k;
                        Vector256<byte> d = Vector256.LoadUnsafe(ref src, i + 96) ^ k;
                        a.StoreUnsafe(ref dst, i);
                        b.StoreUnsafe(ref dst, i + 32);
                        c.StoreUnsafe(ref dst, i + 64);
                        d.StoreUnsafe(ref dst, i + 96);
                        if (typeof(TCheck) == typeof(AsciiCheck)) seen |= (a | b) | (c | d);
                        i += 128;
                    }
                    while (i <= last4);
                }
                while (length - i >= 32)
                {
                    Vector256<byte> a = Vector256.LoadUnsafe(ref src, i) ^ k;
                    a.StoreUnsafe(ref dst, i);
                    if (typeof(TCheck) == typeof(AsciiCheck)) seen |= a;
                    i += 32;
                }
                if (typeof(TCheck) == typeof(AsciiCheck)) anyHigh |= (seen & Vector256.Create((byte)0x80)) != Vector256<byte>.Zero;
            }

            // Less than one wide vector left (or no wide vectors on this machine).
            if (Vector256.IsHardwareAccelerated && length - i >= 32)
            {
                Vector256<byte> a = Vector256.LoadUnsafe(ref src, i) ^ Vector256.Create(key).AsByte();
                a.StoreUnsafe(ref dst, i);
                if (typeof(TCheck) == typeof(AsciiCheck)) anyHigh |= (a & Vector256.Create((byte)0x80)) != Vector256<byte>.Zero;
                i += 32;
            }
            if (Vector128.IsHardwareAccelerated)
            {
                Vector128<byte> k = Vector128.Create(key).AsByte();
                Vector128<byte> seen = Vector128<byte>.Zero;
                while (length - i >= 16)
                {
                    Vector128<byte> a = Vector128.LoadUnsafe(ref src, i) ^ k;
                    a.StoreUnsafe(ref dst, i);
                    if (typeof(TCheck) == typeof(AsciiCheck)) seen |= a;
                    i += 16;
                }
                if (typeof(TCheck) == typeof(AsciiCheck)) anyHigh |= (seen & Vector128.Create((byte)0x80)) != Vector128<byte>.Zero;
            }
        }

        return XorTail<TCheck>(ref src, ref dst, i, length, key) | anyHigh;
    }

    /// <summary>Lengths below 64: the 32/16-byte vectors and the scalar tail only. Returns what <see cref="Xor{TCheck}"/> does.</summary>
    private static bool XorShort<TCheck>(ref byte src, ref byte dst, nuint length, uint key) where TCheck : struct
    {
        nuint i = 0;
        bool anyHigh = false;
        if (Vector256.IsHardwareAccelerated && length >= 32)
        {
            Vector256<byte> a = Vector256.LoadUnsafe(ref src) ^ Vector256.Create(key).AsByte();
            a.StoreUnsafe(ref dst);
            if (typeof(TCheck) == typeof(AsciiCheck)) anyHigh = (a & Vector256.Create((byte)0x80)) != Vector256<byte>.Zero;
            i = 32;
        }
        if (Vector128.IsHardwareAccelerated && length - i >= 16)
        {
            Vector128<byte> a = Vector128.LoadUnsafe(ref src, i) ^ Vector128.Create(key).AsByte();
            a.StoreUnsafe(ref dst, i);
            if (typeof(TCheck) == typeof(AsciiCheck)) anyHigh |= (a & Vector128.Create((byte)0x80)) != Vector128<byte>.Zero;
            i += 16;
        }
        return XorTail<TCheck>(ref src, ref dst, i, length, key) | anyHigh;
    }

    /// <summary>
    /// Bytes [i, length) with 8-, 4- and 1-byte steps; <paramref name="i"/> must be a multiple of 4.
    /// Returns what <see cref="Xor{TCheck}"/> does, for these bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool XorTail<TCheck>(ref byte src, ref byte dst, nuint i, nuint length, uint key) where TCheck : struct
    {
        ulong key64 = key | ((ulong)key << 32);
        ulong seen = 0;
        while (length - i >= 8)
        {
            ulong v = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, i)) ^ key64;
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), v);
            if (typeof(TCheck) == typeof(AsciiCheck)) seen |= v;
            i += 8;
        }
        if (length - i >= 4)
        {
            uint v = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, i)) ^ key;
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), v);
            if (typeof(TCheck) == typeof(AsciiCheck)) seen |= v;
            i += 4;
        }
        while (i < length)
        {
            byte v = (byte)(Unsafe.Add(ref src, i) ^ key);
            Unsafe.Add(ref dst, i) = v;
            if (typeof(TCheck) == typeof(AsciiCheck)) seen |= v;
            key >>= 8;
            i++;
        }
        return typeof(TCheck) == typeof(AsciiCheck) && (seen & 0x8080_8080_8080_8080UL) != 0;
    }

    private static void ThrowDestinationTooShort() =>
        throw new ArgumentException("Destination is shorter than the source.", "destination");
}
