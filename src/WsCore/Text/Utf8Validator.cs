using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Unicode;

namespace WsCore.Text;

/// <summary>
/// An incremental, fail-fast UTF-8 validator (RFC 3629, as RFC 6455 §8.1 requires). It carries a
/// partial code point across pieces of a frame and across frames of a message, and reports failure at
/// the first byte that can no longer belong to valid UTF-8.
/// </summary>
/// <remarks>
/// <para>
/// "Fail-fast" is exact: <see cref="Validate"/> returns false for the piece that holds the first byte at
/// which the bytes seen so far stop being a prefix of some valid UTF-8 string (an overlong form, a
/// surrogate U+D800-U+DFFF, a value above U+10FFFF, a missing or stray continuation byte, or one of
/// 0xC0, 0xC1, 0xF5-0xFF), and never for an earlier piece. Autobahn cases 6.4.1-6.4.4 grade exactly this.
/// </para>
/// <para>
/// Speed: a piece is split into (1) the continuation bytes that finish a code point carried from the
/// previous piece, (2) a middle made of whole code points, checked at once by a vectorized whole-buffer check
/// (<see cref="System.Text.Ascii.IsValid(ReadOnlySpan{byte})"/> for pure ASCII, else an AVX2 lookup-table check,
/// else <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>; pieces under 64 bytes go to the latter directly), and
/// (3) a trailing incomplete code point, fed to a small state machine whose state is carried to the next piece.
/// A bad byte anywhere in the middle fails the piece, which is exactly the piece that holds the first bad byte.
/// </para>
/// </remarks>
public struct Utf8Validator
{
    private int _needed;   // continuation bytes still expected for the current code point; -1 once failed
    private byte _lower;   // allowed range of the next continuation byte
    private byte _upper;

    /// <summary>Below this length a piece is first checked whole, before looking for a trailing partial code point.</summary>
    private const int ShortPiece = 64;

    /// <summary>True while a code point has started but not yet finished (also true after a failure).</summary>
    public readonly bool IsInsideCodePoint => _needed != 0;

    /// <summary>True once a call to <see cref="Validate"/> has returned false; stays true until <see cref="Reset"/>.</summary>
    public readonly bool HasFailed => _needed < 0;

    /// <summary>Forgets any partial code point (and any failure), ready for a new message.</summary>
    public void Reset() => this = default;

    /// <summary>Validates the next piece of a message.</summary>
    /// <param name="piece">The next bytes of the message.</param>
    /// <param name="endOfMessage">True if this piece ends the message: an unfinished code point is then invalid.</param>
    /// <returns>False as soon as the bytes seen so far cannot be the start of valid UTF-8 (or, at the end of the message, are not valid UTF-8).</returns>
    public bool Validate(ReadOnlySpan<byte> piece, bool endOfMessage)
    {
        int needed = _needed;
        if (needed != 0)
        {
            if (needed < 0) return false;
            // Finish the code point carried from the previous piece (at most 3 bytes).
            int i = 0;
            byte lower = _lower, upper = _upper;
            while (true)
            {
                if (i == piece.Length)
                {
                    _needed = needed; _lower = lower; _upper = upper;
                    return endOfMessage ? Fail() : true;
                }
                byte b = piece[i++];
                if (b < lower || b > upper) return Fail();
                lower = 0x80; upper = 0xBF;
                if (--needed == 0) break;
            }
            _needed = 0;
            piece = piece.Slice(i);
        }

        // Now at a code point boundary. A short piece is usually whole code points: one BCL call settles it.
        // (Measured: for 2-63 byte pieces, ASCII or not, this beats both the general path below and the
        // byte-at-a-time state machine.)
        if (piece.Length < ShortPiece && Utf8.IsValid(piece)) return true;

        int middle = WholeCodePointsLength(piece);
        if (!Utf8VectorCheck.IsValid(piece.Slice(0, middle))) return Fail();
        return middle == piece.Length ? true : Run(piece.Slice(middle), endOfMessage);
    }

    /// <summary>Validates a whole message in one call.</summary>
    public static bool IsValid(ReadOnlySpan<byte> message)
    {
        Utf8Validator v = default;
        return v.Validate(message, endOfMessage: true);
    }

    /// <summary>
    /// The length of <paramref name="piece"/> without a trailing code point that was started but is too short
    /// for its lead byte. Bytes that are invalid anyway stay in the returned part, so that
    /// <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/> rejects them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WholeCodePointsLength(ReadOnlySpan<byte> piece)
    {
        // A lead byte of an unfinished code point can only be among the last 3 bytes.
        int end = piece.Length;
        ref byte p = ref MemoryMarshal.GetReference(piece);
        for (int j = end - 1; j >= Math.Max(0, end - 3); j--) // never before the piece: it may be 1-2 bytes long
        {
            byte b = Unsafe.Add(ref p, j);
            if (b < 0x80) return end;            // ASCII: everything before it and it are whole
            if (b < 0xC0) continue;              // continuation byte: keep looking for its lead
            // A lead byte (C0, C1 and F5-FF are invalid leads: whichever side they land on rejects them).
            int length = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
            return end - j < length ? j : end;
        }
        return end;
    }

    /// <summary>The byte-at-a-time state machine, from the current state over <paramref name="piece"/>.</summary>
    private bool Run(ReadOnlySpan<byte> piece, bool endOfMessage)
    {
        int needed = _needed; byte lower = _lower, upper = _upper;
        for (int i = 0; i < piece.Length; i++)
        {
            byte b = piece[i];
            if (needed == 0)
            {
                if (b < 0x80) continue;
                if (b < 0xC2) return Fail();
                if (b < 0xE0) { needed = 1; lower = 0x80; upper = 0xBF; }
                else if (b < 0xF0) { needed = 2; lower = b == 0xE0 ? (byte)0xA0 : (byte)0x80; upper = b == 0xED ? (byte)0x9F : (byte)0xBF; }
                else if (b < 0xF5) { needed = 3; lower = b == 0xF0 ? (byte)0x90 : (byte)0x80; upper = b == 0xF4 ? (byte)0x8F : (byte)0xBF; }
                else return Fail();
            }
            else
            {
                if (b < lower || b > upper) return Fail();
                needed--; lower = 0x80; upper = 0xBF;
            }
        }
        _needed = needed; _lower = lower; _upper = upper;
        return !endOfMessage || needed == 0 || Fail();
    }

    private bool Fail()
    {
        _needed = -1; _lower = 0xFF; _upper = 0; // sticky: nothing more can be valid
        return false;
    }
}
