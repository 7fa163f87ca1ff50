namespace WsCore.Handshake;

/// <summary>Where one header's name and (whitespace-trimmed) value lie in the head buffer.</summary>
internal readonly record struct HeaderEntry(int NameStart, int NameLength, int ValueStart, int ValueLength);
