namespace ConformanceRunner.Wire;

/// <summary>
/// Incremental, fail-fast UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
/// Feed chunks with <see cref="Feed"/>; a message is valid when every chunk was accepted and <see cref="IsComplete"/>.
/// </summary>
internal struct Utf8Check
{
    private int _needed;
    private byte _low, _high;
    private bool _failed;

    public readonly bool Failed => _failed;
    public readonly bool IsComplete => !_failed && _needed == 0;

    public void Reset() => this = default;

    /// <summary>Returns false as soon as an octet cannot continue any valid sequence.</summary>
    public bool Feed(ReadOnlySpan<byte> data)
    {
        if (_failed) return false;
        foreach (byte b in data)
        {
            if (_needed == 0)
            {
                if (b < 0x80) continue;
                (_needed, _low, _high) = b switch
                {
                    >= 0xC2 and <= 0xDF => (1, (byte)0x80, (byte)0xBF),
                    0xE0 => (2, (byte)0xA0, (byte)0xBF),
                    (>= 0xE1 and <= 0xEC) or 0xEE or 0xEF => (2, (byte)0x80, (byte)0xBF),
                    0xED => (2, (byte)0x80, (byte)0x9F),
                    0xF0 => (3, (byte)0x90, (byte)0xBF),
                    >= 0xF1 and <= 0xF3 => (3, (byte)0x80, (byte)0xBF),
                    0xF4 => (3, (byte)0x80, (byte)0x8F),
                    _ => (-1, (byte)0, (byte)0),
                };
                if (_needed < 0) { _failed = true; return false; }
            }
            else
            {
                if (b < _low || b > _high) { _failed = true; return false; }
                _needed--;
                _low = 0x80; _high = 0xBF;
            }
        }
        return true;
    }

    public static bool IsValid(ReadOnlySpan<byte> data)
    {
        var check = new Utf8Check();
        return check.Feed(data) && check.IsComplete;
    }
}
