namespace WsCore.Handshake;

/// <summary>
/// Assembles an HTTP/1.1 head (start line, header lines, blank line) from bytes fed in any split. Each input
/// byte is searched once for LF and each completed line is validated once, so the work is linear in the input;
/// nothing is ever re-parsed from the start. The buffer never exceeds <see cref="HandshakeOptions.MaxHeaderBytes"/>,
/// and bytes after the blank line are never consumed.
/// </summary>
internal sealed class HttpHeadBuffer
{
    private const int InitialCapacity = 512;
    private readonly HandshakeOptions _options;
    private byte[] _buffer = [];
    private int _length;
    private int _lineStart;
    private bool _startLineDone;
    private HeaderEntry[] _entries = [];
    private int _count;

    internal HttpHeadBuffer(HandshakeOptions options) => _options = options;

    /// <summary>Bytes examined so far (searched for line ends or validated), for the linear-work tests.</summary>
    internal long BytesExamined { get; private set; }

    internal HeadError Error { get; private set; }

    /// <summary>Start of the start line in <see cref="Bytes"/> (always 0) and its length without CRLF.</summary>
    internal int StartLineLength { get; private set; }

    internal ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    internal ReadOnlySpan<byte> StartLine => _buffer.AsSpan(0, StartLineLength);

    internal ReadOnlySpan<HeaderEntry> Entries => _entries.AsSpan(0, _count);

    internal void Reset()
    {
        _length = _lineStart = _count = StartLineLength = 0;
        _startLineDone = false;
        Error = HeadError.None;
        BytesExamined = 0;
    }

    /// <summary>
    /// Consumes bytes from <paramref name="input"/> until a line completes that the caller must look at (the
    /// start line, or the blank line ending the head), an error, or the input ends.
    /// </summary>
    internal HeadProgress Append(ReadOnlySpan<byte> input, out int consumed)
    {
        consumed = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = input.Slice(consumed);
            if (rest.IsEmpty) return HeadProgress.NeedMoreData;
            int lf = rest.IndexOf((byte)'\n');
            int take = lf < 0 ? rest.Length : lf + 1;
            BytesExamined += take;

            int limit = _startLineDone ? _options.MaxHeaderLineLength : _options.MaxStartLineLength;
            // Which limit breaks first is decided by the position of the byte that breaks it, so the error does not
            // depend on how the input was split. A line breaks its limit at its (limit + 2)th byte before LF (one byte
            // of slack for the CR); the head breaks its limit at byte MaxHeaderBytes + 1 (LF included).
            int lineBytesHere = lf < 0 ? rest.Length : lf;
            long lineBreaksAt = (long)limit + 2 - (_length - _lineStart);
            long headBreaksAt = (long)_options.MaxHeaderBytes + 1 - _length;
            bool lineBreaks = lineBreaksAt <= lineBytesHere;
            bool headBreaks = headBreaksAt <= take;
            if (lineBreaks && (!headBreaks || lineBreaksAt <= headBreaksAt))
            {
                return Fail(_startLineDone ? HeadError.HeaderLineTooLong : HeadError.StartLineTooLong);
            }
            if (headBreaks) return Fail(HeadError.HeadTooLarge);

            EnsureCapacity(_length + take);
            rest.Slice(0, take).CopyTo(_buffer.AsSpan(_length));
            _length += take;
            consumed += take;
            if (lf < 0) return HeadProgress.NeedMoreData;

            int lineStart = _lineStart;
            int lineLength = _length - 1 - lineStart;
            _lineStart = _length;
            if (lineLength == 0 || _buffer[lineStart + lineLength - 1] != (byte)'\r') return Fail(HeadError.InvalidLineEnding);
            lineLength--;
            if (lineLength > limit) return Fail(_startLineDone ? HeadError.HeaderLineTooLong : HeadError.StartLineTooLong);

            if (!_startLineDone)
            {
                _startLineDone = true;
                StartLineLength = lineLength;
                return HeadProgress.StartLineComplete;
            }
            if (lineLength == 0) return HeadProgress.Complete;
            HeadError error = AddHeader(lineStart, lineLength);
            if (error != HeadError.None) return Fail(error);
        }
    }

    private HeadProgress Fail(HeadError error)
    {
        Error = error;
        return HeadProgress.Error;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _buffer.Length) return;
        int capacity = Math.Max(_buffer.Length * 2, InitialCapacity);
        capacity = Math.Min(Math.Max(capacity, needed), _options.MaxHeaderBytes);
        var bigger = new byte[capacity];
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        _buffer = bigger;
    }

    private HeadError AddHeader(int start, int length)
    {
        ReadOnlySpan<byte> line = _buffer.AsSpan(start, length);
        BytesExamined += length;
        if (line[0] is (byte)' ' or (byte)'\t') return HeadError.ObsoleteLineFolding;
        int colon = line.IndexOf((byte)':');
        if (colon < 0) return HeadError.MissingColon;
        ReadOnlySpan<byte> name = line.Slice(0, colon);
        if (name.IsEmpty) return HeadError.InvalidHeaderName;
        if (name[^1] is (byte)' ' or (byte)'\t') return HeadError.WhitespaceBeforeColon;
        if (name.ContainsAnyExcept(HttpSyntax.TokenBytes)) return HeadError.InvalidHeaderName;
        ReadOnlySpan<byte> value = line.Slice(colon + 1);
        if (value.ContainsAnyExcept(HttpSyntax.FieldValueBytes)) return HeadError.InvalidHeaderValue;
        int valueStart = colon + 1;
        while (valueStart < length && line[valueStart] is (byte)' ' or (byte)'\t') valueStart++;
        int valueEnd = length;
        while (valueEnd > valueStart && line[valueEnd - 1] is (byte)' ' or (byte)'\t') valueEnd--;
        if (_count == _options.MaxHeaderCount) return HeadError.TooManyHeaders;
        if (_count == _entries.Length)
        {
            var bigger = new HeaderEntry[Math.Min(Math.Max(_entries.Length * 2, 16), _options.MaxHeaderCount)];
            _entries.AsSpan().CopyTo(bigger);
            _entries = bigger;
        }
        _entries[_count++] = new HeaderEntry(start, colon, start + valueStart, valueEnd - valueStart);
        return HeadError.None;
    }

    /// <summary>A snapshot of the headers read so far, detached from this buffer.</summary>
    internal HttpHeaderStore Snapshot() => new(_buffer.AsSpan(0, _length).ToArray(), _entries.AsSpan(0, _count).ToArray());
}
