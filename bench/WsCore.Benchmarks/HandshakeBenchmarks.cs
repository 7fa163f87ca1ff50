using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using WsCore.Handshake;

namespace WsCore.Benchmarks;

/// <summary>
/// The opening handshake (RFC 6455 §4.2): the Sec-WebSocket-Accept value (base64(SHA-1(key + GUID))) against the naive
/// one-liner most servers write, and reading + validating a typical browser upgrade request. ManagedWebSocket has no
/// public counterpart for either (ASP.NET Core computes the accept key internally, in its middleware).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class HandshakeBenchmarks
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static readonly byte[] s_keyBytes = Encoding.ASCII.GetBytes(Key);
    private readonly byte[] _accept = new byte[WebSocketAccept.AcceptLength];

    /// <summary>What Chrome sends to open a WebSocket (Chrome 120 shape), with a permessage-deflate offer.</summary>
    private static readonly byte[] s_browserRequest = Encoding.ASCII.GetBytes(
        "GET /chat?room=42 HTTP/1.1\r\n" +
        "Host: example.com:8080\r\n" +
        "Connection: Upgrade\r\n" +
        "Pragma: no-cache\r\n" +
        "Cache-Control: no-cache\r\n" +
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n" +
        "Upgrade: websocket\r\n" +
        "Origin: https://example.com\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Accept-Encoding: gzip, deflate, br\r\n" +
        "Accept-Language: en-US,en;q=0.9\r\n" +
        "Sec-WebSocket-Key: " + Key + "\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
        "\r\n");

    private readonly HandshakeRequestReader _reader = new();

    [BenchmarkCategory("accept")]
    [Benchmark(Baseline = true, Description = "accept: Convert.ToBase64String(SHA1.HashData(ASCII(key + guid)))")]
    public string NaiveAccept() => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(Key + Guid)));

    [BenchmarkCategory("accept")]
    [Benchmark(Description = "accept: WebSocketAccept.TryCompute")]
    public int WsCoreAccept()
    {
        WebSocketAccept.TryCompute(s_keyBytes, _accept, out int written);
        return written;
    }

    [BenchmarkCategory("request")]
    [Benchmark(Description = "request: HandshakeRequestReader (browser request)")]
    public HandshakeReadStatus ReadRequest()
    {
        _reader.Reset();
        HandshakeReadStatus status = _reader.Read(s_browserRequest, out _);
        if (status != HandshakeReadStatus.Done) throw new InvalidOperationException(_reader.Error.ToString());
        return status;
    }
}
