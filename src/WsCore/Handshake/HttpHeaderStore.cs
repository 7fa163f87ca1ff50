using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace WsCore.Handshake;

/// <summary>
/// The header lines of one received head, kept as bytes with offsets; strings are made only when asked for.
/// Values are decoded as Latin-1, so every byte (obs-text included) maps to one character.
/// </summary>
internal sealed class HttpHeaderStore
{
    private readonly byte[] _head;
    private readonly HeaderEntry[] _entries;

    internal HttpHeaderStore(byte[] head, HeaderEntry[] entries)
    {
        _head = head;
        _entries = entries;
    }

    internal int Count => _entries.Length;

    internal string Name(int index) => Encoding.ASCII.GetString(NameBytes(index));

    internal string Value(int index) => Encoding.Latin1.GetString(ValueBytes(index));

    internal ReadOnlySpan<byte> NameBytes(int index) => _head.AsSpan(_entries[index].NameStart, _entries[index].NameLength);

    internal ReadOnlySpan<byte> ValueBytes(int index) => _head.AsSpan(_entries[index].ValueStart, _entries[index].ValueLength);

    /// <summary>How many header lines carry <paramref name="name"/> (ASCII, any case).</summary>
    internal int CountOf(ReadOnlySpan<byte> name)
    {
        int n = 0;
        for (int i = 0; i < _entries.Length; i++)
        {
            if (HttpSyntax.NameEquals(NameBytes(i), name)) n++;
        }
        return n;
    }

    /// <summary>The values of every line named <paramref name="name"/>, joined by ", " (RFC 9110 §5.3); null if none.</summary>
    internal string? Joined(ReadOnlySpan<byte> name)
    {
        int first = -1;
        int total = 0;
        int lines = 0;
        for (int i = 0; i < _entries.Length; i++)
        {
            if (!HttpSyntax.NameEquals(NameBytes(i), name)) continue;
            if (first < 0) first = i;
            total += _entries[i].ValueLength;
            lines++;
        }
        if (first < 0) return null;
        if (lines == 1) return Encoding.Latin1.GetString(ValueBytes(first));
        return string.Create(total + 2 * (lines - 1), (Store: this, Name: name.ToArray()), static (chars, state) =>
        {
            int written = 0;
            bool any = false;
            for (int i = 0; i < state.Store._entries.Length; i++)
            {
                if (!HttpSyntax.NameEquals(state.Store.NameBytes(i), state.Name)) continue;
                if (any)
                {
                    chars[written++] = ',';
                    chars[written++] = ' ';
                }
                any = true;
                written += Encoding.Latin1.GetChars(state.Store.ValueBytes(i), chars.Slice(written));
            }
        });
    }

    internal bool TryGet(string name, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (name.Length == 0 || name.Length > 256 || !HttpSyntax.IsToken(name)) return false;
        Span<byte> nameBytes = stackalloc byte[name.Length];
        for (int i = 0; i < name.Length; i++) nameBytes[i] = (byte)name[i];
        value = Joined(nameBytes);
        return value is not null;
    }
}
