using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;
using System.Text.Unicode;

namespace WsCore.Text;

/// <summary>
/// Whole-buffer UTF-8 validity (RFC 3629) for text with many multi-byte characters, 32 bytes per step with AVX2,
/// after the lookup-table method of Keiser and Lemire ("Validating UTF-8 in less than one instruction per byte",
/// 2021). Each byte is classified by three 16-entry tables indexed by the high and low nibble of the byte before
/// it and the high nibble of the byte itself; a set bit common to all three is an error (overlong form,
/// surrogate, above U+10FFFF, missing or stray continuation). A second check asks that the bytes two and three
/// after a 3- or 4-byte lead be continuations. Same verdict as <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>,
/// which the property tests check; the BCL is used where AVX2 is missing and for short inputs.
/// </summary>
internal static class Utf8VectorCheck
{
    // Error bits of the classification (which rule a byte pair breaks).
    private const byte TooShort = 1 << 0;      // lead or ASCII where a continuation was due
    private const byte TooLong = 1 << 1;       // continuation after ASCII
    private const byte Overlong3 = 1 << 2;     // E0 80..9F
    private const byte TooLarge = 1 << 3;      // F4 90..BF, F5..
    private const byte Surrogate = 1 << 4;     // ED A0..BF
    private const byte Overlong2 = 1 << 5;     // C0, C1
    private const byte TooLarge1000 = 1 << 6;  // F5.. 80..8F
    private const byte Overlong4 = 1 << 6;     // F0 80..8F
    private const byte TwoConts = 1 << 7;      // continuation after continuation (legal only inside 3/4-byte forms)
    private const byte Carry = TooShort | TooLong | TwoConts;

    /// <summary>Inputs shorter than this go to the BCL (the setup would not pay off).</summary>
    private const int MinimumLength = 64;

    /// <summary>The same verdict as <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>.</summary>
    public static bool IsValid(ReadOnlySpan<byte> text)
    {
        if (!Avx2.IsSupported || text.Length < MinimumLength) return Utf8.IsValid(text);
        if (Ascii.IsValid(text)) return true; // the BCL's ASCII scan is the fastest way through pure ASCII
        // Not all ASCII, so there is a block with a non-ASCII byte; everything before it is fine: start the lookup walk there.
        int firstNonAsciiBlock = FirstNonAsciiBlock(text);
        System.Diagnostics.Debug.Assert(firstNonAsciiBlock >= 0);
        return IsValidAvx2(text, firstNonAsciiBlock);
    }

    /// <summary>
    /// The offset of a 32-byte block holding the first non-ASCII byte (so every byte before the offset is ASCII),
    /// or -1 if the text is all ASCII. Wide loads ORed together: this is the ASCII fast path.
    /// </summary>
    private static int FirstNonAsciiBlock(ReadOnlySpan<byte> text)
    {
        ref byte start = ref MemoryMarshal.GetReference(text);
        int length = text.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<byte> high = Vector512.Create((byte)0x80);
            for (; i <= length - 256; i += 256)
            {
                Vector512<byte> any = Vector512.LoadUnsafe(ref start, (nuint)i) | Vector512.LoadUnsafe(ref start, (nuint)(i + 64))
                    | Vector512.LoadUnsafe(ref start, (nuint)(i + 128)) | Vector512.LoadUnsafe(ref start, (nuint)(i + 192));
                if ((any & high) != Vector512<byte>.Zero) break;
            }
        }
        else
        {
            Vector256<byte> high = Vector256.Create((byte)0x80);
            for (; i <= length - 128; i += 128)
            {
                Vector256<byte> any = Vector256.LoadUnsafe(ref start, (nuint)i) | Vector256.LoadUnsafe(ref start, (nuint)(i + 32))
                    | Vector256.LoadUnsafe(ref start, (nuint)(i + 64)) | Vector256.LoadUnsafe(ref start, (nuint)(i + 96));
                if ((any & high) != Vector256<byte>.Zero) break;
            }
        }
        Vector256<byte> high32 = Vector256.Create((byte)0x80);
        for (; i <= length - 32; i += 32)
        {
            if ((Vector256.LoadUnsafe(ref start, (nuint)i) & high32) != Vector256<byte>.Zero) return i;
        }
        // Fewer than 32 bytes left: look at the last 32 (length >= MinimumLength, so they exist).
        return (Vector256.LoadUnsafe(ref start, (nuint)(length - 32)) & high32) != Vector256<byte>.Zero ? length - 32 : -1;
    }

    /// <summary>The lookup walk. Preconditions: <c>text.Length &gt;= 64</c>; every byte before <paramref name="firstNonAscii"/> is ASCII.</summary>
    private static bool IsValidAvx2(ReadOnlySpan<byte> text, int firstNonAscii)
    {
        Vector256<byte> table1 = Vector256.Create(
            // High nibble of the previous byte.
            TooLong, TooLong, TooLong, TooLong, TooLong, TooLong, TooLong, TooLong,
            TwoConts, TwoConts, TwoConts, TwoConts,
            TooShort | Overlong2, TooShort, TooShort | Overlong3 | Surrogate, TooShort | TooLarge | TooLarge1000 | Overlong4,
            TooLong, TooLong, TooLong, TooLong, TooLong, TooLong, TooLong, TooLong,
            TwoConts, TwoConts, TwoConts, TwoConts,
            TooShort | Overlong2, TooShort, TooShort | Overlong3 | Surrogate, TooShort | TooLarge | TooLarge1000 | Overlong4);
        Vector256<byte> table2 = Vector256.Create(
            // Low nibble of the previous byte.
            Carry | Overlong3 | Overlong2 | Overlong4, Carry | Overlong2, Carry, Carry,
            Carry | TooLarge, Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000 | Surrogate, Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000,
            Carry | Overlong3 | Overlong2 | Overlong4, Carry | Overlong2, Carry, Carry,
            Carry | TooLarge, Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000 | Surrogate, Carry | TooLarge | TooLarge1000, Carry | TooLarge | TooLarge1000);
        const byte Cont8 = TooLong | Overlong2 | TwoConts | Overlong3 | TooLarge1000 | Overlong4;
        const byte Cont9 = TooLong | Overlong2 | TwoConts | Overlong3 | TooLarge;
        const byte ContAB = TooLong | Overlong2 | TwoConts | Surrogate | TooLarge;
        Vector256<byte> table3 = Vector256.Create(
            // High nibble of the byte itself.
            TooShort, TooShort, TooShort, TooShort, TooShort, TooShort, TooShort, TooShort,
            Cont8, Cont9, ContAB, ContAB, TooShort, TooShort, TooShort, TooShort,
            TooShort, TooShort, TooShort, TooShort, TooShort, TooShort, TooShort, TooShort,
            Cont8, Cont9, ContAB, ContAB, TooShort, TooShort, TooShort, TooShort);

        ref byte start = ref MemoryMarshal.GetReference(text);
        int length = text.Length;
        Vector256<byte> error;
        int i;
        if (firstNonAscii < 3)
        {
            // The first block has no 3 bytes before it: check it from a copy that puts 3 ASCII zeros in front.
            Span<byte> head = stackalloc byte[3 + 32];
            head.Slice(0, 3).Clear();
            text.Slice(0, 32).CopyTo(head.Slice(3));
            error = BlockErrors(ref MemoryMarshal.GetReference(head), 3, table1, table2, table3);
            i = 32;
        }
        else
        {
            error = Vector256<byte>.Zero;
            i = firstNonAscii;
        }

        Vector256<byte> highBits = Vector256.Create((byte)0x80);
        for (; i <= length - 32; i += 32)
        {
            // All-ASCII stretches (the block and the 3 bytes before it) cannot hold an error.
            if (((Vector256.LoadUnsafe(ref start, (nuint)(i - 3)) | Vector256.LoadUnsafe(ref start, (nuint)i)) & highBits) == Vector256<byte>.Zero)
            {
                continue;
            }
            error |= BlockErrors(ref start, i, table1, table2, table3);
            if (error != Vector256<byte>.Zero) return false;
        }
        if (i < length)
        {
            // The last, partial block: check the final 32 bytes again (re-checking a byte is harmless).
            error |= BlockErrors(ref start, length - 32, table1, table2, table3);
        }
        if (error != Vector256<byte>.Zero) return false;

        // A code point must not be left unfinished at the end.
        byte last = Unsafe.Add(ref start, length - 1), last2 = Unsafe.Add(ref start, length - 2), last3 = Unsafe.Add(ref start, length - 3);
        return last < 0xC0 && last2 < 0xE0 && last3 < 0xF0;
    }

    /// <summary>The error bits for the 32 bytes at <paramref name="at"/>; the 3 bytes before them must be readable.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> BlockErrors(ref byte start, int at, Vector256<byte> table1, Vector256<byte> table2, Vector256<byte> table3)
    {
        Vector256<byte> nibble = Vector256.Create((byte)0x0F);
        Vector256<byte> input = Vector256.LoadUnsafe(ref start, (nuint)at);
        Vector256<byte> prev1 = Vector256.LoadUnsafe(ref start, (nuint)(at - 1));
        Vector256<byte> prev2 = Vector256.LoadUnsafe(ref start, (nuint)(at - 2));
        Vector256<byte> prev3 = Vector256.LoadUnsafe(ref start, (nuint)(at - 3));

        Vector256<byte> prevHigh = Avx2.ShiftRightLogical(prev1.AsUInt16(), 4).AsByte() & nibble;
        Vector256<byte> prevLow = prev1 & nibble;
        Vector256<byte> inputHigh = Avx2.ShiftRightLogical(input.AsUInt16(), 4).AsByte() & nibble;
        Vector256<byte> special = Avx2.Shuffle(table1, prevHigh) & Avx2.Shuffle(table2, prevLow) & Avx2.Shuffle(table3, inputHigh);

        // Bytes 2 and 3 after a 3-byte (E0..EF) or 4-byte (F0..F4) lead must be continuations; the tables mark a
        // continuation after a continuation (TwoConts, bit 7) and this cancels it where it is due.
        Vector256<byte> thirdByte = Avx2.SubtractSaturate(prev2, Vector256.Create((byte)(0xE0 - 0x80)));
        Vector256<byte> fourthByte = Avx2.SubtractSaturate(prev3, Vector256.Create((byte)(0xF0 - 0x80)));
        Vector256<byte> due = (thirdByte | fourthByte) & Vector256.Create((byte)0x80);
        return due ^ special;
    }
}
