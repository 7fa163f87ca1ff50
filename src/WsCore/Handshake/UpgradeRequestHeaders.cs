using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace WsCore.Handshake;

/// <summary>
/// Headers a client adds to its upgrade request (Authorization, Cookie, User-Agent, ...), checked as they are added:
/// a name that is not a token, a value holding CR, LF or another control character, or a header the opening handshake
/// writes itself (Host, Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version, Sec-WebSocket-Protocol,
/// Sec-WebSocket-Extensions, Sec-WebSocket-Accept, Origin, Content-Length, Transfer-Encoding) throws
/// <see cref="ArgumentException"/>, so a bad header fails where it is set, never on the wire. Lines are sent in the
/// order they were added. Not thread-safe: do not change it while a connect that uses it runs (the connect takes a copy).
/// </summary>
/// <example><code>
/// var options = new WebSocketClientOptions { RequestHeaders = { { "Authorization", "Bearer abc" }, { "User-Agent", "demo/1.0" } } };
/// options.RequestHeaders.Set("Cookie", "session=42"); // as ClientWebSocketOptions.SetRequestHeader
/// </code></example>
public sealed class UpgradeRequestHeaders : IReadOnlyList<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _headers = [];

    /// <summary>How many header lines there are.</summary>
    public int Count => _headers.Count;

    /// <summary>The header line at <paramref name="index"/>, in the order they are sent.</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    public KeyValuePair<string, string> this[int index] => _headers[index];

    /// <summary>Adds a header line; a name already present is sent again on a line of its own.</summary>
    /// <param name="name">The header's name, a token (RFC 9110 §5.6.2).</param>
    /// <param name="value">Its value: visible ASCII, space and tab.</param>
    /// <exception cref="ArgumentException">The name or the value is invalid, or the handshake owns the header.</exception>
    public void Add(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        HandshakeRequestWriter.CheckExtraHeader(name, value, nameof(name));
        _headers.Add(new KeyValuePair<string, string>(name, value));
    }

    /// <summary>
    /// Sets a header, replacing every line of that name (any case), or removes it when <paramref name="value"/> is null:
    /// the counterpart of <c>ClientWebSocketOptions.SetRequestHeader</c>.
    /// </summary>
    /// <param name="name">The header's name, a token.</param>
    /// <param name="value">Its value, or null to remove the header.</param>
    /// <exception cref="ArgumentException">The name or the value is invalid, or the handshake owns the header.</exception>
    public void Set(string name, string? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (value is null)
        {
            HeadWriter.CheckName(name, nameof(name));
            Remove(name);
            return;
        }
        HandshakeRequestWriter.CheckExtraHeader(name, value, nameof(name));
        int at = _headers.FindIndex(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
        Remove(name);
        _headers.Insert(at < 0 ? _headers.Count : at, new KeyValuePair<string, string>(name, value));
    }

    /// <summary>Removes every line named <paramref name="name"/> (any case).</summary>
    /// <param name="name">The header's name.</param>
    /// <returns>True if a line was removed.</returns>
    public bool Remove(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _headers.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)) > 0;
    }

    /// <summary>The value of the first line named <paramref name="name"/> (any case).</summary>
    /// <param name="name">The header's name.</param>
    /// <param name="value">Its value, or null when absent.</param>
    /// <returns>True if the header is present.</returns>
    public bool TryGetValue(string name, [NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (KeyValuePair<string, string> header in _headers)
        {
            if (header.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = header.Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>Removes every header.</summary>
    public void Clear() => _headers.Clear();

    /// <summary>The header lines, in the order they are sent.</summary>
    public List<KeyValuePair<string, string>>.Enumerator GetEnumerator() => _headers.GetEnumerator();

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => _headers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _headers.GetEnumerator();

    /// <summary>A copy of the lines, for one connect.</summary>
    internal KeyValuePair<string, string>[] Snapshot() => [.. _headers];
}
