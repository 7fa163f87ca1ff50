using System.Buffers;
using System.Security.Cryptography;
using WsCore.Compression;

namespace WsCore.Handshake;

/// <summary>
/// Client side: writes the upgrade request (RFC 6455 §4.1) into caller memory. Values the host supplies are
/// checked; a CR or LF in them (a host bug that would split the request) throws <see cref="ArgumentException"/>.
/// </summary>
public static class HandshakeRequestWriter
{
    /// <summary>A fresh Sec-WebSocket-Key: base64 of 16 bytes from <see cref="RandomNumberGenerator"/> (RFC 6455 §4.1 item 7).</summary>
    public static string GenerateKey()
    {
        Span<byte> nonce = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        return Convert.ToBase64String(nonce);
    }

    /// <summary>Writes the request with a fresh key into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the request head goes.</param>
    /// <param name="request">What to ask for.</param>
    /// <param name="key">The key used; pass it to <see cref="HandshakeResponseReader"/>. Set even if the destination was too short.</param>
    /// <param name="bytesWritten">Length of the request, or 0 if it did not fit.</param>
    /// <returns>False if <paramref name="destination"/> is too short.</returns>
    public static bool TryWrite(Span<byte> destination, ClientUpgradeRequest request, out string key, out int bytesWritten)
    {
        key = GenerateKey();
        return TryWrite(destination, request, key, out bytesWritten);
    }

    /// <summary>Writes the request with the given key (tests, or a key generated earlier) into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the request head goes.</param>
    /// <param name="request">What to ask for.</param>
    /// <param name="key">The Sec-WebSocket-Key to send; must be a valid key (see <see cref="WebSocketAccept.IsValidKey(ReadOnlySpan{char})"/>).</param>
    /// <param name="bytesWritten">Length of the request, or 0 if it did not fit.</param>
    /// <returns>False if <paramref name="destination"/> is too short.</returns>
    public static bool TryWrite(Span<byte> destination, ClientUpgradeRequest request, string key, out int bytesWritten)
    {
        Check(request, key);
        var writer = new HeadWriter(destination, measureOnly: false);
        Build(ref writer, request, key);
        bytesWritten = writer.Overflow ? 0 : writer.Length;
        return !writer.Overflow;
    }

    /// <summary>Writes the request with a fresh key to <paramref name="output"/> (one GetSpan, one Advance).</summary>
    /// <param name="output">Receives the request head.</param>
    /// <param name="request">What to ask for.</param>
    /// <returns>The key used; pass it to <see cref="HandshakeResponseReader"/>.</returns>
    public static string Write(IBufferWriter<byte> output, ClientUpgradeRequest request)
    {
        string key = GenerateKey();
        Write(output, request, key);
        return key;
    }

    /// <summary>Writes the request with the given key to <paramref name="output"/>.</summary>
    /// <param name="output">Receives the request head.</param>
    /// <param name="request">What to ask for.</param>
    /// <param name="key">The Sec-WebSocket-Key to send.</param>
    /// <returns>The number of bytes written.</returns>
    public static int Write(IBufferWriter<byte> output, ClientUpgradeRequest request, string key)
    {
        ArgumentNullException.ThrowIfNull(output);
        Check(request, key);
        var measure = new HeadWriter(default, measureOnly: true);
        Build(ref measure, request, key);
        var writer = new HeadWriter(output.GetSpan(measure.Length), measureOnly: false);
        Build(ref writer, request, key);
        if (writer.Overflow) throw new InvalidOperationException("The buffer writer returned a span shorter than requested.");
        output.Advance(writer.Length);
        return writer.Length;
    }

    private static void Check(ClientUpgradeRequest request, string key)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(key);
        if (!WebSocketAccept.IsValidKey(key)) throw new ArgumentException("The key must be base64 of 16 bytes.", nameof(key));
        Validate(request);
    }

    /// <summary>Throws <see cref="ArgumentException"/> for what the writers would refuse in <paramref name="request"/> (checked before connecting).</summary>
    internal static void Validate(ClientUpgradeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!ServerHandshake.TrySplitTarget(request.Target ?? "", out _, out _)) throw new ArgumentException("The target must be a path (and query) or an absolute ws/wss/http/https URI, without fragment.", nameof(request));
        if (string.IsNullOrEmpty(request.Host) || request.Host.AsSpan().ContainsAnyExcept(HttpSyntax.HostChars)) throw new ArgumentException("Invalid Host.", nameof(request));
        if (request.Origin is not null) HeadWriter.CheckValue(request.Origin, nameof(request));
        if (request.Subprotocols is not null)
        {
            foreach (string subprotocol in request.Subprotocols)
            {
                if (subprotocol is null || !HttpSyntax.IsToken(subprotocol)) throw new ArgumentException("Each subprotocol must be a token.", nameof(request));
            }
        }
        if (request.ExtraHeaders is not null)
        {
            foreach (KeyValuePair<string, string> header in request.ExtraHeaders) CheckExtraHeader(header.Key, header.Value, nameof(request));
        }
    }

    /// <summary>
    /// The headers the request writes itself (Host, Upgrade, Connection, the Sec-WebSocket-* fields, Origin) and those
    /// that would change how it is framed (Content-Length, Transfer-Encoding): never extra headers.
    /// </summary>
    private static readonly string[] s_reservedHeaders =
    [
        "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions", "Sec-WebSocket-Accept", "Origin", "Content-Length", "Transfer-Encoding",
    ];

    /// <summary>True if the handshake owns the header <paramref name="name"/> (any case); see <see cref="ClientUpgradeRequest.ExtraHeaders"/>.</summary>
    internal static bool IsReservedHeader(ReadOnlySpan<char> name)
    {
        foreach (string reserved in s_reservedHeaders)
        {
            if (name.Equals(reserved, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="name"/> is a token the handshake does not own and
    /// <paramref name="value"/> holds only visible ASCII, space and tab (no CR or LF that would split the request).
    /// </summary>
    internal static void CheckExtraHeader(string name, string? value, string parameter)
    {
        HeadWriter.CheckName(name, parameter);
        if (IsReservedHeader(name))
        {
            throw new ArgumentException($"The header '{name}' is written by the opening handshake itself and cannot be set here"
                + " (Origin and the subprotocols have options of their own, permessage-deflate is in the connection's protocol options).", parameter);
        }
        HeadWriter.CheckValue(value ?? throw new ArgumentException($"The value of the header '{name}' is null.", parameter), parameter);
    }

    private static void Build(ref HeadWriter writer, ClientUpgradeRequest request, string key)
    {
        writer.Write("GET "u8);
        writer.Write(request.Target);
        writer.Write(" HTTP/1.1\r\n"u8);
        writer.Header("Host"u8, request.Host);
        writer.Write("Upgrade: websocket\r\nConnection: Upgrade\r\n"u8);
        writer.Header("Sec-WebSocket-Key"u8, key);
        writer.Write("Sec-WebSocket-Version: 13\r\n"u8);
        if (request.Origin is not null) writer.Header("Origin"u8, request.Origin);
        if (request.Subprotocols is { Count: > 0 } subprotocols)
        {
            writer.Write("Sec-WebSocket-Protocol: "u8);
            for (int i = 0; i < subprotocols.Count; i++)
            {
                if (i > 0) writer.Write(", "u8);
                writer.Write(subprotocols[i]);
            }
            writer.Write("\r\n"u8);
        }
        if (request.PerMessageDeflate is { Enabled: true } deflate)
        {
            Span<char> offer = stackalloc char[PerMessageDeflateText.MaxLength];
            PerMessageDeflateText.TryWriteOffer(deflate, offer, out int length);
            writer.Header("Sec-WebSocket-Extensions"u8, offer[..length]);
        }
        if (request.ExtraHeaders is not null)
        {
            foreach (KeyValuePair<string, string> header in request.ExtraHeaders) writer.Header(header.Key, header.Value);
        }
        writer.Write("\r\n"u8);
    }
}
