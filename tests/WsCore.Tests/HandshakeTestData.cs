using System.Text;
using WsCore.Handshake;

namespace WsCore.Tests;

/// <summary>Requests and helpers shared by the handshake tests.</summary>
internal static class HandshakeTestData
{
    internal const string RfcKey = "dGhlIHNhbXBsZSBub25jZQ==";
    internal const string RfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    /// <summary>RFC 6455 §1.3 (and §4.1) example request.</summary>
    internal const string Rfc6455Request =
        "GET /chat HTTP/1.1\r\n" +
        "Host: server.example.com\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Origin: http://example.com\r\n" +
        "Sec-WebSocket-Protocol: chat, superchat\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "\r\n";

    /// <summary>A Chrome 120 request as sent to a local server.</summary>
    internal const string ChromeRequest =
        "GET /chat?room=1 HTTP/1.1\r\n" +
        "Host: localhost:8080\r\n" +
        "Connection: Upgrade\r\n" +
        "Pragma: no-cache\r\n" +
        "Cache-Control: no-cache\r\n" +
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n" +
        "Upgrade: websocket\r\n" +
        "Origin: http://localhost:8080\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Accept-Encoding: gzip, deflate, br\r\n" +
        "Accept-Language: en-US,en;q=0.9\r\n" +
        "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
        "\r\n";

    /// <summary>A Firefox request: Connection is a list, Sec-Fetch headers.</summary>
    internal const string FirefoxRequest =
        "GET /socket HTTP/1.1\r\n" +
        "Host: example.org\r\n" +
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\r\n" +
        "Accept: */*\r\n" +
        "Accept-Language: en-US,en;q=0.5\r\n" +
        "Accept-Encoding: gzip, deflate, br\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Origin: https://example.org\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate\r\n" +
        "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n" +
        "Connection: keep-alive, Upgrade\r\n" +
        "Sec-Fetch-Dest: empty\r\n" +
        "Sec-Fetch-Mode: websocket\r\n" +
        "Sec-Fetch-Site: same-origin\r\n" +
        "Pragma: no-cache\r\n" +
        "Cache-Control: no-cache\r\n" +
        "Upgrade: websocket\r\n" +
        "\r\n";

    /// <summary>The Autobahn TestSuite (wstest, fuzzingclient) request: note <c>Upgrade: WebSocket</c>.</summary>
    internal const string AutobahnRequest =
        "GET /runCase?case=1&agent=WsCore HTTP/1.1\r\n" +
        "User-Agent: AutobahnTestSuite/0.8.2-0.10.9\r\n" +
        "Host: 127.0.0.1:9001\r\n" +
        "Upgrade: WebSocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Pragma: no-cache\r\n" +
        "Cache-Control: no-cache\r\n" +
        "Sec-WebSocket-Key: 3GJ2wqvMz2ShvHwx1b8TKg==\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "\r\n";

    internal static readonly string[] BaseHeaders =
    [
        "Host: server.example.com",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ];

    /// <summary>A request: request line, header lines, CRLF endings and the blank line.</summary>
    internal static string Build(string requestLine, IEnumerable<string> headers) =>
        requestLine + "\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n";

    /// <summary>The base request with header <paramref name="name"/> removed, then <paramref name="lines"/> appended.</summary>
    internal static string Without(string name, params string[] lines) =>
        Build("GET /chat HTTP/1.1", BaseHeaders.Where(h => !h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Concat(lines));

    internal static string With(params string[] lines) => Build("GET /chat HTTP/1.1", BaseHeaders.Concat(lines));

    internal static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>Outcome of feeding a request to a fresh reader in pieces.</summary>
    internal readonly record struct Outcome(HandshakeReadStatus Status, HandshakeRequestError Error, int Consumed, HandshakeRequestReader Reader);

    /// <summary>Feeds <paramref name="data"/> in pieces whose sizes come from <paramref name="pieceSize"/> (called with the piece index).</summary>
    internal static Outcome Feed(byte[] data, Func<int, int> pieceSize, HandshakeOptions? options = null)
    {
        var reader = new HandshakeRequestReader(options);
        int offset = 0, consumed = 0, piece = 0;
        HandshakeReadStatus status = HandshakeReadStatus.NeedMoreData;
        while (offset < data.Length)
        {
            int size = Math.Clamp(pieceSize(piece++), 1, data.Length - offset);
            status = reader.Read(data.AsSpan(offset, size), out int c);
            Assert.InRange(c, 0, size);
            if (status == HandshakeReadStatus.NeedMoreData) Assert.Equal(size, c);
            consumed += c;
            offset += size;
            if (status != HandshakeReadStatus.NeedMoreData) break;
        }
        return new Outcome(status, reader.Error, consumed, reader);
    }

    internal static Outcome FeedAll(string request, HandshakeOptions? options = null) => Feed(Latin1(request), _ => int.MaxValue, options);

    internal static Outcome FeedBytewise(string request, HandshakeOptions? options = null) => Feed(Latin1(request), _ => 1, options);
}
