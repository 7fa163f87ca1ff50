using System.Buffers;
using WsCore.Compression;
using WsCore.Handshake;

namespace WsCore.Tests;

/// <summary>
/// <see cref="ServerHandshake.ValidateExtendedConnect"/>: a WebSocket over HTTP/2 (RFC 8441) or HTTP/3 (RFC 9220), the
/// request a host's HTTP/2 stack parsed (<c>:method = CONNECT</c>, <c>:protocol = websocket</c>), and its answer: a 200
/// without Sec-WebSocket-Accept (§5), negotiated like an HTTP/1.1 upgrade.
/// </summary>
public class ExtendedConnectValidationTests
{
    /// <summary>The example of RFC 8441 §5.1.</summary>
    private static UpgradeRequestFields Rfc8441Request => new()
    {
        Method = "CONNECT",
        Protocol = "HTTP/2",
        Target = "/chat?room=1",
        Upgrade = "websocket",
        Host = "server.example.com",
        SecWebSocketProtocol = "chat, superchat",
        SecWebSocketExtensions = "permessage-deflate",
        SecWebSocketVersion = "13",
        Origin = "http://www.example.com",
    };

    [Fact]
    public void Rfc8441_5_1_Example_IsValid_WithoutKeyOrConnection()
    {
        Assert.Equal(HandshakeRequestError.None, ServerHandshake.ValidateExtendedConnect(Rfc8441Request, out HandshakeRequest? request));
        Assert.NotNull(request);
        Assert.True(request.IsExtendedConnect);
        Assert.Equal("CONNECT", request.Method);
        Assert.Equal("HTTP/2", request.Protocol);
        Assert.Equal("/chat", request.Path);
        Assert.Equal("?room=1", request.Query);
        Assert.Equal("server.example.com", request.Host);
        Assert.Equal("http://www.example.com", request.Origin);
        Assert.Equal("", request.Key);
        Assert.Equal(["chat", "superchat"], request.Subprotocols);
        Assert.Equal("permessage-deflate", request.Extensions);
    }

    [Theory]
    [InlineData("HTTP/2.0")]
    [InlineData("HTTP/3")] // RFC 9220
    public void OtherVersions_WithExtendedConnect_AreValid(string version)
    {
        Assert.Equal(HandshakeRequestError.None, ServerHandshake.ValidateExtendedConnect(Rfc8441Request with { Protocol = version }, out _));
    }

    public static TheoryData<string, UpgradeRequestFields, HandshakeRequestError, int> Invalid => new()
    {
        { "GET", Rfc8441Request with { Method = "GET" }, HandshakeRequestError.MethodNotAllowed, 405 },
        { "bad method", Rfc8441Request with { Method = "CON NECT" }, HandshakeRequestError.InvalidRequestLine, 400 },
        { "HTTP/1.1", Rfc8441Request with { Protocol = "HTTP/1.1" }, HandshakeRequestError.UnsupportedHttpVersion, 505 },
        { "absolute path", Rfc8441Request with { Target = "https://server.example.com/chat" }, HandshakeRequestError.InvalidRequestTarget, 400 },
        { "fragment", Rfc8441Request with { Target = "/chat#x" }, HandshakeRequestError.InvalidRequestTarget, 400 },
        { "no :protocol", Rfc8441Request with { Upgrade = null }, HandshakeRequestError.MissingUpgradeWebSocket, 400 },
        { ":protocol webtransport", Rfc8441Request with { Upgrade = "webtransport" }, HandshakeRequestError.MissingUpgradeWebSocket, 400 },
        { ":protocol list", Rfc8441Request with { Upgrade = "h2c, websocket" }, HandshakeRequestError.MissingUpgradeWebSocket, 400 },
        { "no :authority", Rfc8441Request with { Host = null }, HandshakeRequestError.InvalidHost, 400 },
        { "version 8", Rfc8441Request with { SecWebSocketVersion = "8" }, HandshakeRequestError.UnsupportedWebSocketVersion, 426 },
        { "no version", Rfc8441Request with { SecWebSocketVersion = null }, HandshakeRequestError.UnsupportedWebSocketVersion, 426 },
        { "subprotocol list", Rfc8441Request with { SecWebSocketProtocol = "chat, a b" }, HandshakeRequestError.InvalidSubprotocolList, 400 },
        { "origin list", Rfc8441Request with { Origin = "http://a, http://b" }, HandshakeRequestError.InvalidOrigin, 400 },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidRequests_AreRejected_WithTheirStatus(string name, UpgradeRequestFields fields, HandshakeRequestError expected, int status)
    {
        Assert.Equal(expected, ServerHandshake.ValidateExtendedConnect(fields, out HandshakeRequest? request));
        Assert.Null(request);
        Assert.Equal(status, HandshakeRequestErrors.StatusCode(expected));
        Assert.NotEmpty(name);
    }

    [Fact]
    public void AnHttp11Request_IsNotAnExtendedConnect()
    {
        var fields = new UpgradeRequestFields
        {
            Method = "GET", Protocol = "HTTP/1.1", Target = "/", Host = "h", Upgrade = "websocket", Connection = "Upgrade",
            SecWebSocketKey = "dGhlIHNhbXBsZSBub25jZQ==", SecWebSocketVersion = "13",
        };
        Assert.Equal(HandshakeRequestError.MethodNotAllowed, ServerHandshake.ValidateExtendedConnect(fields, out _));
        Assert.Equal(HandshakeRequestError.None, ServerHandshake.Validate(fields, out HandshakeRequest? request));
        Assert.False(request!.IsExtendedConnect);
        Assert.Equal(101, ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept()).StatusCode);
    }

    [Fact]
    public void Rfc8441_5_Answer_Is200_WithoutAccept_NegotiatedAsForHttp11()
    {
        ServerHandshake.ValidateExtendedConnect(Rfc8441Request, out HandshakeRequest? request);
        ServerHandshakeResponse response = ServerHandshake.CreateResponse(request!, ServerHandshakeDecision.Accept("superchat"),
            new PerMessageDeflateOptions { Enabled = true });
        Assert.True(response.IsAccepted);
        Assert.Equal(200, response.StatusCode);
        Assert.Null(response.Accept);
        Assert.Equal("superchat", response.Subprotocol);
        Assert.Equal("permessage-deflate", response.Extensions);
        Assert.NotNull(response.PerMessageDeflate);
        // An HTTP/2 answer is the host's to send: there are no HTTP/1.1 bytes for it.
        Assert.Throws<InvalidOperationException>(() => response.Write(new ArrayBufferWriter<byte>()));
        Assert.Throws<InvalidOperationException>(() => response.TryWrite(new byte[512], out _));
    }

    [Fact]
    public void PolicyRejection_OfAnExtendedConnect_IsItsStatus()
    {
        ServerHandshake.ValidateExtendedConnect(Rfc8441Request, out HandshakeRequest? request);
        ServerHandshakeResponse response = ServerHandshake.CreateResponse(request!, ServerHandshakeDecision.Reject(403, "Origin not allowed."));
        Assert.False(response.IsAccepted);
        Assert.Equal(403, response.StatusCode);
        Assert.Equal("Origin not allowed.", response.Reason);
    }

    [Fact]
    public void ThePolicy_MayNotChooseASubprotocolTheClientDidNotOffer()
    {
        ServerHandshake.ValidateExtendedConnect(Rfc8441Request, out HandshakeRequest? request);
        Assert.Throws<ArgumentException>(() => ServerHandshake.CreateResponse(request!, ServerHandshakeDecision.Accept("other")));
    }
}
