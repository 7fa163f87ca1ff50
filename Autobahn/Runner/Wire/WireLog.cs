using System.Text;

namespace ConformanceRunner.Wire;

/// <summary>
/// A compact log of what crossed the wire, in the spirit of wstest's wire log: one array per entry whose first element
/// names it: TO/RO (octets sent/received), TF/RF (frames sent/received), KL/KLE (kill timer set/fired),
/// TI/TIE (close timer set/fired), CT/CTE (continuation timer set/fired), WLM (logging switched on/off).
/// Octet dumps are truncated to <see cref="MaxDumpOctets"/>.
/// </summary>
internal sealed class WireLog
{
    public const int MaxDumpOctets = 32;
    public readonly List<object?[]> Entries = new();
    public bool Enabled = true;

    public void Add(params object?[] entry)
    {
        if (Enabled || entry[0] is "WLM" or "KLE" or "TIE" or "CTE" or "KL" or "TI" or "CT") Entries.Add(entry);
    }

    public void SetEnabled(bool on)
    {
        if (on == Enabled) return;
        Enabled = on;
        Entries.Add(new object?[] { "WLM", on });
    }

    public static string Hex(ReadOnlySpan<byte> data)
    {
        var shown = data.Length > MaxDumpOctets ? data[..MaxDumpOctets] : data;
        var s = Convert.ToHexStringLower(shown);
        return data.Length > MaxDumpOctets ? s + " ..." : s;
    }

    /// <summary>Readable text for a payload: the UTF-8 text if it is valid and printable enough, otherwise 0x-hex.</summary>
    public static string Text(ReadOnlySpan<byte> data, int max = 64)
    {
        var shown = data.Length > max ? data[..max] : data;
        string s;
        if (Wire.Utf8Check.IsValid(shown)) s = Encoding.UTF8.GetString(shown);
        else s = "0x" + Convert.ToHexStringLower(shown);
        return data.Length > max ? s + " ..." : s;
    }
}
