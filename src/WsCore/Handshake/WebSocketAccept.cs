using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace WsCore.Handshake;

/// <summary>
/// The RFC 6455 §4.2.2 / §1.3 <c>Sec-WebSocket-Accept</c> value: base64(SHA-1(key + GUID)), computed into
/// caller memory without allocating.
/// </summary>
public static class WebSocketAccept
{
    /// <summary>Length in bytes of a well-formed <c>Sec-WebSocket-Key</c>: base64 of 16 bytes.</summary>
    public const int KeyLength = 24;

    /// <summary>Length in bytes of a <c>Sec-WebSocket-Accept</c> value: base64 of a 20-byte SHA-1 digest.</summary>
    public const int AcceptLength = 28;

    /// <summary>The longest key <see cref="TryCompute(ReadOnlySpan{byte}, Span{byte}, out int)"/> accepts.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>The GUID RFC 6455 appends to the key, as ASCII bytes.</summary>
    public static ReadOnlySpan<byte> Guid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    /// <summary>
    /// Computes the accept value for <paramref name="key"/> (the header value as sent, without surrounding whitespace).
    /// </summary>
    /// <param name="key">The <c>Sec-WebSocket-Key</c> value as ASCII bytes; at most <see cref="MaxKeyLength"/> bytes.</param>
    /// <param name="destination">Receives the 28 ASCII bytes of the accept value.</param>
    /// <param name="bytesWritten">28 on success, otherwise 0.</param>
    /// <returns><see cref="OperationStatus.Done"/>; <see cref="OperationStatus.InvalidData"/> if the key is longer than
    /// <see cref="MaxKeyLength"/>; <see cref="OperationStatus.DestinationTooSmall"/> if the destination is shorter than <see cref="AcceptLength"/>.</returns>
    public static OperationStatus TryCompute(ReadOnlySpan<byte> key, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (key.Length > MaxKeyLength) return OperationStatus.InvalidData;
        if (destination.Length < AcceptLength) return OperationStatus.DestinationTooSmall;
        Span<byte> input = stackalloc byte[MaxKeyLength + 36];
        key.CopyTo(input);
        Guid.CopyTo(input.Slice(key.Length));
        Span<byte> digest = stackalloc byte[20];
        SHA1.HashData(input.Slice(0, key.Length + Guid.Length), digest);
        return Base64.EncodeToUtf8(digest, destination, out _, out bytesWritten);
    }

    /// <summary>
    /// Computes the accept value for a key given as characters (it must be ASCII, as every valid key is).
    /// </summary>
    /// <param name="key">The <c>Sec-WebSocket-Key</c> value; at most <see cref="MaxKeyLength"/> ASCII characters.</param>
    /// <param name="destination">Receives the 28 ASCII bytes of the accept value.</param>
    /// <param name="bytesWritten">28 on success, otherwise 0.</param>
    /// <returns><see cref="OperationStatus.Done"/>; <see cref="OperationStatus.InvalidData"/> if the key is too long or
    /// not ASCII; <see cref="OperationStatus.DestinationTooSmall"/> if the destination is too short.</returns>
    public static OperationStatus TryCompute(ReadOnlySpan<char> key, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (key.Length > MaxKeyLength || !System.Text.Ascii.IsValid(key)) return OperationStatus.InvalidData;
        Span<byte> keyBytes = stackalloc byte[MaxKeyLength];
        for (int i = 0; i < key.Length; i++) keyBytes[i] = (byte)key[i];
        return TryCompute(keyBytes.Slice(0, key.Length), destination, out bytesWritten);
    }

    /// <summary>
    /// True if <paramref name="accept"/> is the accept value for <paramref name="key"/>. Compares in
    /// constant time over the 28 bytes and allocates nothing.
    /// </summary>
    /// <param name="key">The key the client sent, as ASCII bytes.</param>
    /// <param name="accept">The accept value received, without surrounding whitespace.</param>
    public static bool Matches(ReadOnlySpan<byte> key, ReadOnlySpan<byte> accept)
    {
        Span<byte> expected = stackalloc byte[AcceptLength];
        return TryCompute(key, expected, out _) == OperationStatus.Done && CryptographicOperations.FixedTimeEquals(expected, accept);
    }

    /// <summary>
    /// True if <paramref name="key"/> is a well-formed <c>Sec-WebSocket-Key</c> (RFC 6455 §4.1 item 7):
    /// canonical base64 that decodes to exactly 16 bytes (24 characters, the last two <c>=</c>, no whitespace).
    /// </summary>
    public static bool IsValidKey(ReadOnlySpan<char> key)
    {
        if (key.Length != KeyLength || key[22] != '=' || key[23] != '=') return false;
        for (int i = 0; i < 21; i++)
        {
            if (!IsBase64Char(key[i])) return false;
        }
        // The 22nd character carries 2 data bits and 4 padding bits that must be zero.
        char last = key[21];
        return last is 'A' or 'Q' or 'g' or 'w';
    }

    /// <summary>
    /// True if <paramref name="key"/> is a well-formed <c>Sec-WebSocket-Key</c>; see <see cref="IsValidKey(ReadOnlySpan{char})"/>.
    /// </summary>
    public static bool IsValidKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength) return false;
        Span<char> chars = stackalloc char[KeyLength];
        for (int i = 0; i < KeyLength; i++) chars[i] = (char)key[i];
        return IsValidKey(chars);
    }

    private static bool IsBase64Char(char c) =>
        (uint)(c - 'A') <= 'Z' - 'A' || (uint)(c - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9 || c == '+' || c == '/';
}
