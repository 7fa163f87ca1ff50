using System.Text;
using WsCore.Handshake;

namespace WsCore.Tests;

/// <summary>The sans-I/O halves of the proxy tunnel: the CONNECT request, and the proxy's answer read in any split.</summary>
public class ProxyConnectTests
{
    [Fact]
    public void The_connect_request_names_the_destination_twice_and_carries_the_credentials()
    {
        byte[] head = ProxyConnectRequestWriter.Write("[::1]:8443", ProxyConnectRequestWriter.Basic("u", "p"));
        Assert.Equal("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\nProxy-Authorization: Basic dTpw\r\n\r\n", Encoding.ASCII.GetString(head));
        Assert.Equal("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n", Encoding.ASCII.GetString(ProxyConnectRequestWriter.Write("example.com:80", null)));
        Assert.Throws<ArgumentException>(() => ProxyConnectRequestWriter.Write("example.com:80\r\nX: y", null));
        Assert.Throws<ArgumentException>(() => ProxyConnectRequestWriter.Write("example.com:80", "Basic a\r\nX: y"));
    }

    private static ProxyConnectResponseReader ReadSplit(byte[] answer, int split, out int consumed)
    {
        var reader = new ProxyConnectResponseReader(null);
        reader.Read(answer.AsSpan(0, split), out int first);
        reader.Read(answer.AsSpan(first), out int second);
        consumed = first + second;
        return reader;
    }

    [Theory]
    [InlineData("HTTP/1.1 200 Connection established\r\n\r\n", 200)]
    [InlineData("HTTP/1.0 200 OK\r\nProxy-Agent: test\r\n\r\n", 200)]
    [InlineData("HTTP/1.1 204\r\n\r\n", 204)]
    public void Any_2xx_opens_the_tunnel_in_every_split_and_nothing_after_the_head_is_consumed(string answer, int status)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(answer + "\x16\x03\x03");
        for (int split = 0; split <= answer.Length; split++)
        {
            ProxyConnectResponseReader reader = ReadSplit(bytes, split, out int consumed);
            Assert.Equal(HandshakeReadStatus.Done, reader.Status);
            Assert.Equal(status, reader.StatusCode);
            Assert.Equal(answer.Length, consumed);
        }
    }

    [Fact]
    public void A_407_is_a_refusal_with_its_status_reason_and_headers()
    {
        byte[] answer = Encoding.ASCII.GetBytes("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n");
        for (int split = 0; split <= answer.Length; split++)
        {
            ProxyConnectResponseReader reader = ReadSplit(answer, split, out _);
            Assert.Equal(HandshakeReadStatus.Rejected, reader.Status);
            Assert.Equal(HandshakeResponseError.UnexpectedStatusCode, reader.Error);
            Assert.Equal(407, reader.StatusCode);
            Assert.Equal("Proxy Authentication Required", reader.ReasonPhrase);
            Assert.True(reader.Headers!.TryGet("Proxy-Authenticate", out string? challenge));
            Assert.Equal("Basic realm=\"x\"", challenge);
        }
    }

    [Theory]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n", HandshakeResponseError.InvalidStatusLine)]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n", HandshakeResponseError.InvalidStatusLine)]
    [InlineData("HTTP/2.0 200 OK\r\n\r\n", HandshakeResponseError.UnsupportedHttpVersion)]
    [InlineData("garbage garbage\r\n\r\n", HandshakeResponseError.InvalidStatusLine)]
    [InlineData("HTTP/1.1 200 OK\n\n", HandshakeResponseError.InvalidStatusLine)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\r\n", HandshakeResponseError.UnexpectedStatusCode)]
    public void What_is_not_an_http_1x_2xx_answer_is_refused(string answer, HandshakeResponseError error)
    {
        var reader = new ProxyConnectResponseReader(null);
        Assert.Equal(HandshakeReadStatus.Rejected, reader.Read(Encoding.ASCII.GetBytes(answer), out _));
        Assert.Equal(error, reader.Error);
    }

    [Fact]
    public void A_head_past_the_limit_is_refused_without_growing()
    {
        var reader = new ProxyConnectResponseReader(new HandshakeOptions { MaxHeaderBytes = 1024 });
        reader.Read("HTTP/1.1 200 OK\r\n"u8, out _);
        HandshakeReadStatus status = HandshakeReadStatus.NeedMoreData;
        for (int i = 0; i < 100 && status == HandshakeReadStatus.NeedMoreData; i++) status = reader.Read("X-Filler: 0123456789012345678901234567890123456789\r\n"u8, out _);
        Assert.Equal(HandshakeReadStatus.Rejected, status);
        Assert.Equal(HandshakeResponseError.HeadersTooLarge, reader.Error);
    }
}
