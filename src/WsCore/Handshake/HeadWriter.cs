using System.Buffers;

namespace WsCore.Handshake;

/// <summary>
/// Writes ASCII head text into a span, or only measures it when the span is empty and <c>measure</c> is set:
/// builders run once to measure and once to write, so an <see cref="IBufferWriter{T}"/> gets exactly one span.
/// </summary>
internal ref struct HeadWriter
{
    private readonly Span<byte> _destination;
    private readonly bool _measureOnly;

    internal HeadWriter(Span<byte> destination, bool measureOnly)
    {
        _destination = destination;
        _measureOnly = measureOnly;
        Length = 0;
        Overflow = false;
    }

    /// <summary>Bytes written (or that would be written).</summary>
    internal int Length { get; private set; }

    /// <summary>True if the destination was too short.</summary>
    internal bool Overflow { get; private set; }

    internal void Write(scoped ReadOnlySpan<byte> bytes)
    {
        if (!_measureOnly)
        {
            if (Overflow || bytes.Length > _destination.Length - Length)
            {
                Overflow = true;
            }
            else
            {
                bytes.CopyTo(_destination.Slice(Length));
            }
        }
        Length += bytes.Length;
    }

    /// <summary>Writes characters already checked to be ASCII.</summary>
    internal void Write(scoped ReadOnlySpan<char> ascii)
    {
        if (!_measureOnly)
        {
            if (Overflow || ascii.Length > _destination.Length - Length)
            {
                Overflow = true;
            }
            else
            {
                System.Text.Ascii.FromUtf16(ascii, _destination.Slice(Length), out _);
            }
        }
        Length += ascii.Length;
    }

    /// <summary>Writes any text as UTF-8 (for bodies).</summary>
    internal void WriteUtf8(scoped ReadOnlySpan<char> text)
    {
        int count = System.Text.Encoding.UTF8.GetByteCount(text);
        if (!_measureOnly)
        {
            if (Overflow || count > _destination.Length - Length)
            {
                Overflow = true;
            }
            else
            {
                System.Text.Encoding.UTF8.GetBytes(text, _destination.Slice(Length));
            }
        }
        Length += count;
    }

    internal void Write(int value)
    {
        Span<char> digits = stackalloc char[11];
        value.TryFormat(digits, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
        Write(digits.Slice(0, n));
    }

    /// <summary>Writes <c>name: value CRLF</c>.</summary>
    internal void Header(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<char> value)
    {
        Write(name);
        Write(": "u8);
        Write(value);
        Write("\r\n"u8);
    }

    /// <summary>Writes <c>name: value CRLF</c>.</summary>
    internal void Header(scoped ReadOnlySpan<char> name, scoped ReadOnlySpan<char> value)
    {
        Write(name);
        Write(": "u8);
        Write(value);
        Write("\r\n"u8);
    }

    /// <summary>Throws if a host-supplied header name is not a token. Host bugs, not peer data: exceptions are right here.</summary>
    internal static void CheckName(ReadOnlySpan<char> name, string parameter)
    {
        if (!HttpSyntax.IsToken(name)) throw new ArgumentException("A header name must be a non-empty token.", parameter);
    }

    /// <summary>Throws if a host-supplied header value holds CR, LF or another character that could split or corrupt the head.</summary>
    internal static void CheckValue(ReadOnlySpan<char> value, string parameter)
    {
        if (value.ContainsAnyExcept(HttpSyntax.WritableValueChars))
        {
            throw new ArgumentException("A header value may hold only visible ASCII, space and tab.", parameter);
        }
    }

    internal static void CheckExtraHeaders(ReadOnlySpan<KeyValuePair<string, string>> headers, string parameter)
    {
        foreach (KeyValuePair<string, string> header in headers)
        {
            CheckName(header.Key, parameter);
            CheckValue(header.Value ?? throw new ArgumentNullException(parameter), parameter);
        }
    }

    internal static void WriteExtraHeaders(ref HeadWriter writer, scoped ReadOnlySpan<KeyValuePair<string, string>> headers)
    {
        foreach (KeyValuePair<string, string> header in headers) writer.Header(header.Key, header.Value);
    }
}
