using System.Buffers;

namespace WsCore.Handshake;

/// <summary>Character classes and small helpers from RFC 9110 / RFC 9112 used by the handshake readers and writers.</summary>
internal static class HttpSyntax
{
    private const string TokenCharacters = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>tchar (RFC 9110 §5.6.2).</summary>
    internal static readonly SearchValues<byte> TokenBytes = SearchValues.Create(System.Text.Encoding.ASCII.GetBytes(TokenCharacters));

    /// <summary>tchar as characters.</summary>
    internal static readonly SearchValues<char> TokenChars = SearchValues.Create(TokenCharacters);

    /// <summary>Bytes allowed in a field value: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5).</summary>
    internal static readonly SearchValues<byte> FieldValueBytes = SearchValues.Create(FieldValueTable());

    /// <summary>Characters a client or server of ours writes in a header value: HTAB, SP, VCHAR.</summary>
    internal static readonly SearchValues<char> WritableValueChars = SearchValues.Create(WritableValueTable());

    /// <summary>Visible ASCII (0x21-0x7E).</summary>
    internal static readonly SearchValues<byte> VisibleAsciiBytes = SearchValues.Create(Range(0x21, 0x7E));

    /// <summary>Characters of uri-host [":" port] (RFC 3986) that we accept in Host: no comma, no whitespace.</summary>
    internal static readonly SearchValues<char> HostChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+;=:[]%");

    private static byte[] Range(int first, int last)
    {
        var bytes = new byte[last - first + 1];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(first + i);
        return bytes;
    }

    private static byte[] FieldValueTable()
    {
        var list = new List<byte> { (byte)'\t' };
        for (int b = 0x20; b <= 0xFF; b++)
        {
            if (b != 0x7F) list.Add((byte)b);
        }
        return list.ToArray();
    }

    private static string WritableValueTable()
    {
        var chars = new char[0x7E - 0x20 + 2];
        chars[0] = '\t';
        for (int c = 0x20; c <= 0x7E; c++) chars[c - 0x20 + 1] = (char)c;
        return new string(chars);
    }

    /// <summary>True if <paramref name="value"/> is a non-empty token.</summary>
    internal static bool IsToken(ReadOnlySpan<char> value) => !value.IsEmpty && !value.ContainsAnyExcept(TokenChars);

    /// <summary>True if <paramref name="value"/> is a non-empty token.</summary>
    internal static bool IsToken(ReadOnlySpan<byte> value) => !value.IsEmpty && !value.ContainsAnyExcept(TokenBytes);

    /// <summary>Removes optional whitespace (SP / HTAB) at both ends.</summary>
    internal static ReadOnlySpan<char> TrimOws(ReadOnlySpan<char> value) => value.Trim(" \t");

    /// <summary>Removes optional whitespace (SP / HTAB) at both ends.</summary>
    internal static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> value) => value.Trim(" \t"u8);

    /// <summary>
    /// True if the comma-separated list <paramref name="list"/> (RFC 9110 §5.6.1: optional whitespace, empty
    /// elements ignored) holds an element equal to <paramref name="token"/>, ignoring ASCII case.
    /// </summary>
    internal static bool ListContainsIgnoreCase(ReadOnlySpan<char> list, ReadOnlySpan<char> token)
    {
        var elements = new ListEnumerator(list);
        while (elements.MoveNext())
        {
            if (elements.Current.Equals(token, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>Iterates the non-empty, whitespace-trimmed elements of a comma-separated header list.</summary>
    internal ref struct ListEnumerator
    {
        private ReadOnlySpan<char> _rest;
        private bool _done;

        internal ListEnumerator(ReadOnlySpan<char> list)
        {
            _rest = list;
            _done = false;
            Current = default;
        }

        internal ReadOnlySpan<char> Current { get; private set; }

        internal bool MoveNext()
        {
            while (!_done)
            {
                int comma = _rest.IndexOf(',');
                ReadOnlySpan<char> element;
                if (comma < 0)
                {
                    element = _rest;
                    _done = true;
                }
                else
                {
                    element = _rest.Slice(0, comma);
                    _rest = _rest.Slice(comma + 1);
                }
                element = TrimOws(element);
                if (!element.IsEmpty)
                {
                    Current = element;
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>Parses <c>HTTP/</c> DIGIT <c>.</c> DIGIT. False if malformed.</summary>
    internal static bool TryParseVersion(ReadOnlySpan<char> version, out int major, out int minor)
    {
        major = minor = 0;
        if (version.Length != 8 || !version.StartsWith("HTTP/", StringComparison.Ordinal) || version[6] != '.') return false;
        if (!char.IsAsciiDigit(version[5]) || !char.IsAsciiDigit(version[7])) return false;
        major = version[5] - '0';
        minor = version[7] - '0';
        return true;
    }

    /// <summary>
    /// Parses a status line, <c>HTTP-version SP 3DIGIT SP reason-phrase</c> (RFC 9112 §4; a missing <c>SP reason</c> is
    /// tolerated). False if malformed; the version is not checked against what the caller accepts.
    /// </summary>
    internal static bool TryParseStatusLine(ReadOnlySpan<byte> line, out int major, out int minor, out int status, out ReadOnlySpan<byte> reason)
    {
        major = minor = status = 0;
        reason = default;
        if (line.Length < 12 || line[8] != (byte)' ') return false;
        ReadOnlySpan<byte> version = line.Slice(0, 8);
        if (version.ContainsAnyExcept(VisibleAsciiBytes)) return false;
        Span<char> versionChars = stackalloc char[8];
        for (int i = 0; i < 8; i++) versionChars[i] = (char)version[i];
        if (!TryParseVersion(versionChars, out major, out minor)) return false;
        ReadOnlySpan<byte> code = line.Slice(9, 3);
        if (!char.IsAsciiDigit((char)code[0]) || !char.IsAsciiDigit((char)code[1]) || !char.IsAsciiDigit((char)code[2])) return false;
        if (line.Length > 12)
        {
            if (line[12] != (byte)' ') return false;
            reason = line.Slice(13);
            if (reason.ContainsAnyExcept(FieldValueBytes)) return false;
        }
        status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
        return true;
    }

    /// <summary>True for HTTP/1.1 and higher 1.x versions, the ones RFC 6455 §4.1 accepts.</summary>
    internal static bool IsUpgradableVersion(int major, int minor) => major == 1 && minor >= 1;

    /// <summary>ASCII-case-insensitive equality of a header name in bytes with one given as ASCII bytes.</summary>
    internal static bool NameEquals(ReadOnlySpan<byte> name, ReadOnlySpan<byte> expected) =>
        System.Text.Ascii.EqualsIgnoreCase(name, expected);
}
