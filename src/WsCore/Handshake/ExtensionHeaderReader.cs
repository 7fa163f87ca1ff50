namespace WsCore.Handshake;

/// <summary>
/// A forward-only, zero-allocation, linear-time reader of one <c>Sec-WebSocket-Extensions</c> header value
/// (RFC 6455 §9.1):
/// <code>
/// extension-list  = 1#( extension-token *( ";" extension-param ) )
/// extension-param = token [ "=" ( token / quoted-string ) ]   ; a quoted value must be a token once unescaped
/// </code>
/// with optional whitespace (SP, HTAB) around every separator and empty list elements tolerated as in the
/// RFC 7230 §7 #rule (<c>", a ,, b"</c> is two extensions). A header sent on several lines is read line by line, one
/// reader per value, in order. Malformed input never throws: the reader stops and reports <see cref="Error"/>.
/// </summary>
/// <example>
/// <code>
/// var reader = new ExtensionHeaderReader(value);
/// while (reader.MoveNextExtension())
/// {
///     var name = reader.ExtensionName;
///     while (reader.MoveNextParameter()) { var p = reader.ParameterName; /* reader.HasParameterValue, ... */ }
/// }
/// if (reader.Error != ExtensionHeaderError.None) { /* malformed at reader.ErrorPosition */ }
/// </code>
/// </example>
public ref struct ExtensionHeaderReader
{
    private readonly ReadOnlySpan<char> _text;
    private int _position;
    private bool _inExtension;           // an extension was read and its parameters may follow
    private int _nameStart, _nameLength;
    private int _paramStart, _paramLength;
    private int _valueStart, _valueLength; // for a quoted value: the characters between the quotes, still escaped
    private bool _hasValue, _valueQuoted;

    /// <summary>Starts reading one header value.</summary>
    /// <param name="headerValue">The field value (one line of the header; OWS around it is allowed).</param>
    public ExtensionHeaderReader(ReadOnlySpan<char> headerValue)
    {
        this = default;
        _text = headerValue;
    }

    /// <summary>Why reading stopped early; <see cref="ExtensionHeaderError.None"/> while the value is well-formed.</summary>
    public ExtensionHeaderError Error { get; private set; }

    /// <summary>The offset in the header value where the error was found (meaningful only when there is one).</summary>
    public int ErrorPosition { get; private set; }

    /// <summary>The name of the current extension (a token), after <see cref="MoveNextExtension"/> returned true.</summary>
    public readonly ReadOnlySpan<char> ExtensionName => _text.Slice(_nameStart, _nameLength);

    /// <summary>The name of the current parameter (a token), after <see cref="MoveNextParameter"/> returned true.</summary>
    public readonly ReadOnlySpan<char> ParameterName => _text.Slice(_paramStart, _paramLength);

    /// <summary>True if the current parameter has a value (<c>name=value</c>).</summary>
    public readonly bool HasParameterValue => _hasValue;

    /// <summary>True if the current parameter's value was written as a quoted string.</summary>
    public readonly bool IsParameterValueQuoted => _valueQuoted;

    /// <summary>
    /// The current parameter's value as written: the token itself, or for a quoted string the characters between the
    /// quotes, with any backslash escapes still in place (use <see cref="TryCopyParameterValue"/> to unescape).
    /// Empty when there is no value.
    /// </summary>
    public readonly ReadOnlySpan<char> RawParameterValue => _hasValue ? _text.Slice(_valueStart, _valueLength) : default;

    /// <summary>
    /// The unescaped length of the current parameter's value (never more than <see cref="RawParameterValue"/>'s
    /// length); 0 when there is no value.
    /// </summary>
    public readonly int ParameterValueLength
    {
        get
        {
            if (!_hasValue) return 0;
            if (!_valueQuoted) return _valueLength;
            int n = 0;
            ReadOnlySpan<char> raw = RawParameterValue;
            for (int i = 0; i < raw.Length; i++, n++)
                if (raw[i] == '\\') i++;
            return n;
        }
    }

    /// <summary>Copies the current parameter's value, unescaped, into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the value goes (<see cref="ParameterValueLength"/> characters are enough).</param>
    /// <param name="charsWritten">How many characters were written.</param>
    /// <returns>False if <paramref name="destination"/> is too small (nothing meaningful is written then).</returns>
    public readonly bool TryCopyParameterValue(Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        ReadOnlySpan<char> raw = RawParameterValue;
        if (!_valueQuoted)
        {
            if (!raw.TryCopyTo(destination)) return false;
            charsWritten = raw.Length;
            return true;
        }
        int n = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c == '\\') c = raw[++i]; // the reader guarantees an escape is followed by a character
            if (n == destination.Length) return false;
            destination[n++] = c;
        }
        charsWritten = n;
        return true;
    }

    /// <summary>
    /// Moves to the next extension of the list, skipping any parameters of the current one that were not read.
    /// </summary>
    /// <returns>True if an extension was read (see <see cref="ExtensionName"/>); false at the end of the value or
    /// on malformed input (then <see cref="Error"/> says why).</returns>
    public bool MoveNextExtension()
    {
        if (Error != ExtensionHeaderError.None) return false;
        while (_inExtension)
        {
            if (!MoveNextParameter() && Error != ExtensionHeaderError.None) return false;
        }
        ReadOnlySpan<char> t = _text;
        int p = _position;
        // Skip OWS and empty list elements.
        while (p < t.Length && (t[p] == ',' || IsWhitespace(t[p]))) p++;
        if (p == t.Length)
        {
            _position = p;
            return false;
        }
        int start = p;
        while (p < t.Length && IsTokenChar(t[p])) p++;
        if (p == start) return Fail(ExtensionHeaderError.ExpectedExtensionName, p);
        _nameStart = start;
        _nameLength = p - start;
        _position = p;
        _inExtension = true;
        ClearParameter();
        return true;
    }

    /// <summary>Moves to the next parameter of the current extension.</summary>
    /// <returns>True if a parameter was read (see <see cref="ParameterName"/> and its value); false when the current
    /// extension has no more parameters, or on malformed input (then <see cref="Error"/> says why).</returns>
    public bool MoveNextParameter()
    {
        if (!_inExtension || Error != ExtensionHeaderError.None) return false;
        ClearParameter();
        ReadOnlySpan<char> t = _text;
        int p = SkipWhitespace(t, _position);
        if (p == t.Length || t[p] == ',')
        {
            _position = p;
            _inExtension = false;
            return false;
        }
        if (t[p] != ';') return Fail(ExtensionHeaderError.UnexpectedCharacter, p);
        p = SkipWhitespace(t, p + 1);
        int start = p;
        while (p < t.Length && IsTokenChar(t[p])) p++;
        if (p == start) return Fail(ExtensionHeaderError.ExpectedParameterName, p);
        _paramStart = start;
        _paramLength = p - start;
        p = SkipWhitespace(t, p);
        if (p < t.Length && t[p] == '=')
        {
            p = SkipWhitespace(t, p + 1);
            if (p < t.Length && t[p] == '"')
            {
                int q = p + 1;
                bool isToken = true;
                int unescaped = 0;
                while (true)
                {
                    if (q == t.Length) return Fail(ExtensionHeaderError.InvalidQuotedString, q);
                    char c = t[q];
                    if (c == '"') break;
                    if (c == '\\')
                    {
                        q++;
                        if (q == t.Length || !IsQuotedPairChar(t[q])) return Fail(ExtensionHeaderError.InvalidQuotedString, q);
                        c = t[q];
                    }
                    else if (!IsQuotedTextChar(c))
                    {
                        return Fail(ExtensionHeaderError.InvalidQuotedString, q);
                    }
                    isToken &= IsTokenChar(c);
                    unescaped++;
                    q++;
                }
                if (!isToken || unescaped == 0) return Fail(ExtensionHeaderError.QuotedValueNotToken, p);
                _valueStart = p + 1;
                _valueLength = q - p - 1;
                _valueQuoted = true;
                p = q + 1;
            }
            else
            {
                int v = p;
                while (p < t.Length && IsTokenChar(t[p])) p++;
                if (p == v) return Fail(ExtensionHeaderError.ExpectedParameterValue, p);
                _valueStart = v;
                _valueLength = p - v;
            }
            _hasValue = true;
            p = SkipWhitespace(t, p);
        }
        if (p < t.Length && t[p] != ';' && t[p] != ',') return Fail(ExtensionHeaderError.UnexpectedCharacter, p);
        _position = p;
        return true;
    }

    private void ClearParameter()
    {
        _paramStart = _paramLength = 0;
        _valueStart = _valueLength = 0;
        _hasValue = _valueQuoted = false;
    }

    private bool Fail(ExtensionHeaderError error, int position)
    {
        Error = error;
        ErrorPosition = position;
        _inExtension = false;
        ClearParameter();
        return false;
    }

    private static int SkipWhitespace(ReadOnlySpan<char> t, int p)
    {
        while (p < t.Length && IsWhitespace(t[p])) p++;
        return p;
    }

    private static bool IsWhitespace(char c) => c == ' ' || c == '\t';

    /// <summary>True for an RFC 7230 <c>tchar</c>: any visible ASCII character except delimiters.</summary>
    public static bool IsTokenChar(char c) =>
        c < 128 && TokenChars[c] != 0;

    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
    private static bool IsQuotedTextChar(char c) =>
        c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E) || (c >= 0x80 && c <= 0xFF);

    // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
    private static bool IsQuotedPairChar(char c) =>
        c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7E) || (c >= 0x80 && c <= 0xFF);

    private static ReadOnlySpan<byte> TokenChars =>
    [
        0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
        //   !  "  #  $  %  &  '  (  )  *  +  ,  -  .  /
        0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,
        // 0-9 : ; < = > ?
        1,1,1,1,1,1,1,1,1,1, 0, 0, 0, 0, 0, 0,
        // @ A-O
        0, 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
        // P-Z [ \ ] ^ _
        1,1,1,1,1,1,1,1,1,1,1, 0, 0, 0, 1, 1,
        // ` a-o
        1, 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
        // p-z { | } ~ DEL
        1,1,1,1,1,1,1,1,1,1,1, 0, 1, 0, 1, 0,
    ];
}
