using System.Buffers;
using System.Text;
using WsCore.Handshake;
using static WsCore.Tests.HandshakeTestData;

namespace WsCore.Tests;

/// <summary>RFC 6455 §4.2.2: the server's 101 answer, and rejection responses.</summary>
public class HandshakeResponseWriterTests
{
    [Fact]
    public void Rfc6455_1_3_SwitchingProtocols_ExactBytes()
    {
        var buffer = new byte[512];
        Assert.True(HandshakeResponseWriter.TryWriteSwitchingProtocols(buffer, RfcKey, "chat", null, out int written));
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
            "Sec-WebSocket-Protocol: chat\r\n\r\n",
            Encoding.ASCII.GetString(buffer, 0, written));
    }

    [Fact]
    public void SwitchingProtocols_WithExtensionsAndExtraHeaders_SpanAndBufferWriterAgree()
    {
        KeyValuePair<string, string>[] extra = [new("Set-Cookie", "id=1; HttpOnly"), new("Server", "WsCore")];
        var buffer = new byte[512];
        Assert.True(HandshakeResponseWriter.TryWriteSwitchingProtocols(buffer, RfcKey, null, "permessage-deflate; server_no_context_takeover", extra, out int written));
        string text = Encoding.ASCII.GetString(buffer, 0, written);
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\nSet-Cookie: id=1; HttpOnly\r\nServer: WsCore\r\n\r\n", text);

        var output = new ArrayBufferWriter<byte>();
        int count = HandshakeResponseWriter.WriteSwitchingProtocols(output, RfcKey, null, "permessage-deflate; server_no_context_takeover", extra);
        Assert.Equal(written, count);
        Assert.Equal(text, Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void SwitchingProtocols_DestinationTooSmall_ReturnsFalse()
    {
        var buffer = new byte[100];
        Assert.False(HandshakeResponseWriter.TryWriteSwitchingProtocols(buffer, RfcKey, "chat", null, out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void SwitchingProtocols_IntoASpan_AllocatesNothing()
    {
        var buffer = new byte[512];
        HandshakeResponseWriter.TryWriteSwitchingProtocols(buffer, RfcKey, "chat", "permessage-deflate", out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) HandshakeResponseWriter.TryWriteSwitchingProtocols(buffer, RfcKey, "chat", "permessage-deflate", out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void HostValuesThatWouldSplitTheResponse_Throw()
    {
        var buffer = new byte[512];
        Assert.Throws<ArgumentException>(() => HandshakeResponseWriter.TryWriteSwitchingProtocols(buffer, RfcKey, "chat\r\nX: 1", null, out _));
        Assert.Throws<ArgumentException>(() => HandshakeResponseWriter.TryWriteSwitchingProtocols(buffer, RfcKey, null, "a\nb", out _));
        Assert.Throws<ArgumentException>(() => HandshakeResponseWriter.TryWriteSwitchingProtocols(buffer, RfcKey, null, null, [new("X", "1\r\n2")], out _));
        Assert.Throws<ArgumentException>(() => HandshakeResponseWriter.TryWriteSwitchingProtocols(buffer, RfcKey, null, null, [new("X Y", "1")], out _));
        Assert.Throws<ArgumentException>(() => HandshakeResponseWriter.TryWriteSwitchingProtocols(buffer, "é", null, null, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => HandshakeResponseWriter.TryWriteRejection(buffer, 200, "ok", default, out _));
        Assert.Throws<ArgumentException>(() => HandshakeResponseWriter.TryWriteRejection(buffer, HandshakeRequestError.None, out _));
    }

    private static (int Status, Dictionary<string, string> Headers, string Body) ParseResponse(string text)
    {
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string[] lines = text.Substring(0, end).Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            headers.Add(line.Substring(0, colon), line.Substring(colon + 2));
        }
        Assert.StartsWith("HTTP/1.1 ", lines[0]);
        return (int.Parse(lines[0].Substring(9, 3)), headers, text.Substring(end + 4));
    }

    [Fact]
    public void EveryRejection_HasItsStatus_ConnectionClose_AndAnExactContentLength()
    {
        foreach (HandshakeRequestError error in Enum.GetValues<HandshakeRequestError>())
        {
            if (error == HandshakeRequestError.None) continue;
            var buffer = new byte[1024];
            Assert.True(HandshakeResponseWriter.TryWriteRejection(buffer, error, out int written));
            var (status, headers, body) = ParseResponse(Encoding.UTF8.GetString(buffer, 0, written));
            Assert.Equal(HandshakeRequestErrors.StatusCode(error), status);
            Assert.Equal("close", headers["Connection"]);
            Assert.Equal(HandshakeRequestErrors.Reason(error), body);
            Assert.Equal(Encoding.UTF8.GetByteCount(body), int.Parse(headers["Content-Length"]));
            Assert.Equal(status == 426, headers.TryGetValue("Sec-WebSocket-Version", out string? version) && version == "13");
            Assert.Equal(status == 405, headers.ContainsKey("Allow"));

            var output = new ArrayBufferWriter<byte>();
            Assert.Equal(written, HandshakeResponseWriter.WriteRejection(output, error));
            Assert.Equal(buffer.AsSpan(0, written).ToArray(), output.WrittenSpan.ToArray());
        }
    }

    [Theory]
    [InlineData(400, "Bad Request")]
    [InlineData(403, "Forbidden")]
    [InlineData(404, "Not Found")]
    [InlineData(426, "Upgrade Required")]
    [InlineData(431, "Request Header Fields Too Large")]
    [InlineData(503, "Service Unavailable")]
    [InlineData(499, "Error")]
    public void HostRejection_WithUtf8Reason_AndExtraHeaders(int status, string phrase)
    {
        var buffer = new byte[1024];
        Assert.True(HandshakeResponseWriter.TryWriteRejection(buffer, status, "Origin refusé", [new("Retry-After", "5")], out int written));
        string text = Encoding.UTF8.GetString(buffer, 0, written);
        Assert.StartsWith($"HTTP/1.1 {status} {phrase}\r\nConnection: close\r\n", text);
        var (parsed, headers, body) = ParseResponse(text);
        Assert.Equal(status, parsed);
        Assert.Equal("Origin refusé", body);
        Assert.Equal(Encoding.UTF8.GetByteCount("Origin refusé"), int.Parse(headers["Content-Length"]));
        Assert.Equal("5", headers["Retry-After"]);
        Assert.Equal(status == 426, headers.ContainsKey("Sec-WebSocket-Version"));
        Assert.False(HandshakeResponseWriter.TryWriteRejection(buffer.AsSpan(0, written - 1), status, "Origin refusé", [new("Retry-After", "5")], out written));
        Assert.Equal(0, written);
    }
}
