namespace ConformanceRunner.Wire;

/// <summary>
/// One observed (or expected) event of a case: a whole message, a pong, or a marker a case records itself
/// ("timeout" with a tag) when one of its timed steps runs while the connection is still open.
/// </summary>
internal sealed record Observed(string Kind, byte[] Payload, bool Binary, string? Tag = null)
{
    public static Observed Message(byte[] payload, bool binary) => new("message", payload, binary);
    public static Observed Text(string text) => new("message", System.Text.Encoding.UTF8.GetBytes(text), false);
    public static Observed Pong(byte[] payload) => new("pong", payload, false);
    public static Observed Pong(string text) => new("pong", System.Text.Encoding.UTF8.GetBytes(text), false);
    public static Observed Timeout(string tag) => new("timeout", Array.Empty<byte>(), false, tag);

    public bool SameAs(Observed other)
        => Kind == other.Kind && Binary == other.Binary && Tag == other.Tag && Payload.AsSpan().SequenceEqual(other.Payload);

    /// <summary>The JSON shape used in reports, close to wstest's: [kind, payload-or-tag(, binary)].</summary>
    public object?[] ToReport() => Kind switch
    {
        "message" => new object?[] { Kind, WireLog.Text(Payload), Binary },
        "timeout" => new object?[] { Kind, Tag },
        _ => new object?[] { Kind, WireLog.Text(Payload) },
    };

    public static bool SequenceMatches(List<Observed> actual, List<Observed> expected)
    {
        if (actual.Count != expected.Count) return false;
        for (int i = 0; i < actual.Count; i++)
            if (!actual[i].SameAs(expected[i])) return false;
        return true;
    }
}
