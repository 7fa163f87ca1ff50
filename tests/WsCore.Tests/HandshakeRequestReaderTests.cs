using System.Text;
using WsCore.Handshake;
using static WsCore.Tests.HandshakeTestData;

namespace WsCore.Tests;

/// <summary>RFC 6455 §4.1 / §4.2.1: the server's incremental upgrade-request reader.</summary>
public class HandshakeRequestReaderTests
{
    [Fact]
    public void Rfc6455_1_3_ExampleRequest_IsAccepted_InOnePieceAndBytewise()
    {
        foreach (Outcome outcome in new[] { FeedAll(Rfc6455Request), FeedBytewise(Rfc6455Request) })
        {
            Assert.Equal(HandshakeReadStatus.Done, outcome.Status);
            Assert.Equal(HandshakeRequestError.None, outcome.Error);
            Assert.Equal(Rfc6455Request.Length, outcome.Consumed);
            HandshakeRequest request = outcome.Reader.Request!;
            Assert.Equal("GET", request.Method);
            Assert.Equal("HTTP/1.1", request.Protocol);
            Assert.Equal("/chat", request.Target);
            Assert.Equal("/chat", request.Path);
            Assert.Equal("", request.Query);
            Assert.Equal("server.example.com", request.Host);
            Assert.Equal("http://example.com", request.Origin);
            Assert.Equal(RfcKey, request.Key);
            Assert.Equal(["chat", "superchat"], request.Subprotocols);
            Assert.True(request.OffersSubprotocol("superchat"));
            Assert.False(request.OffersSubprotocol("Chat"));
            Assert.Null(request.Extensions);
            Assert.Equal(7, request.HeaderCount);
            Assert.Equal("Sec-WebSocket-Key", request.GetHeaderName(3));
            Assert.Equal(RfcKey, request.GetHeaderValue(3));
        }
    }

    [Fact]
    public void ChromeRequest_IsAccepted_WithQueryAndExtensions()
    {
        Outcome outcome = FeedBytewise(ChromeRequest);
        Assert.Equal(HandshakeReadStatus.Done, outcome.Status);
        HandshakeRequest request = outcome.Reader.Request!;
        Assert.Equal("/chat", request.Path);
        Assert.Equal("?room=1", request.Query);
        Assert.Equal("localhost:8080", request.Host);
        Assert.Empty(request.Subprotocols);
        Assert.Equal("permessage-deflate; client_max_window_bits", request.Extensions);
        Assert.True(request.TryGetHeader("user-agent", out string? agent));
        Assert.StartsWith("Mozilla/5.0", agent);
        Assert.True(request.TryGetHeader("ACCEPT-LANGUAGE", out string? language));
        Assert.Equal("en-US,en;q=0.9", language);
        Assert.False(request.TryGetHeader("Cookie", out _));
    }

    [Fact]
    public void FirefoxRequest_ConnectionList_IsAccepted()
    {
        Outcome outcome = FeedAll(FirefoxRequest);
        Assert.Equal(HandshakeReadStatus.Done, outcome.Status);
        Assert.Equal("permessage-deflate", outcome.Reader.Request!.Extensions);
        Assert.Equal("https://example.org", outcome.Reader.Request.Origin);
    }

    [Fact]
    public void AutobahnRequest_UpgradeWebSocketMixedCase_IsAccepted()
    {
        Outcome outcome = FeedBytewise(AutobahnRequest);
        Assert.Equal(HandshakeReadStatus.Done, outcome.Status);
        Assert.Equal("/runCase", outcome.Reader.Request!.Path);
        Assert.Equal("?case=1&agent=WsCore", outcome.Reader.Request.Query);
        Assert.Null(outcome.Reader.Request.Origin);
    }

    [Fact]
    public void HeaderNamesAndTokens_AreCaseInsensitive()
    {
        string request = Build("GET / HTTP/1.1",
        [
            "hOsT: a.example", "UPGRADE: WEBSOCKET", "connection: UPGRADE", "sec-websocket-key: " + RfcKey, "SEC-WEBSOCKET-VERSION: 13",
        ]);
        Assert.Equal(HandshakeReadStatus.Done, FeedBytewise(request).Status);
    }

    [Fact]
    public void TokenLists_SpreadOverSeveralLines_WithOptionalWhitespace()
    {
        string request = Build("GET / HTTP/1.1",
        [
            "Host: a.example", "Connection: keep-alive", "Upgrade: h2c ,, ", "Sec-WebSocket-Key: " + RfcKey, "Connection:\t,  upgrade\t",
            "Upgrade:  foo/2,websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: chat,", "Sec-WebSocket-Protocol: , v2.json ,mqtt",
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits", "Sec-WebSocket-Extensions: x-webkit-deflate-frame",
        ]);
        Outcome outcome = FeedBytewise(request);
        Assert.Equal(HandshakeReadStatus.Done, outcome.Status);
        Assert.Equal(["chat", "v2.json", "mqtt"], outcome.Reader.Request!.Subprotocols);
        Assert.Equal("permessage-deflate; client_max_window_bits, x-webkit-deflate-frame", outcome.Reader.Request.Extensions);
        Assert.True(outcome.Reader.Request.TryGetHeader("connection", out string? connection));
        Assert.Equal("keep-alive, ,  upgrade", connection);
    }

    [Theory]
    [InlineData("/", "/", "")]
    [InlineData("/a/b%20c?x=1&y=%2F", "/a/b%20c", "?x=1&y=%2F")]
    [InlineData("/?", "/", "?")]
    [InlineData("ws://example.com/chat?x", "/chat", "?x")]
    [InlineData("wss://example.com", "/", "")]
    [InlineData("HTTP://example.com:80?q", "/", "?q")]
    public void RequestTarget_OriginAndAbsoluteForm(string target, string path, string query)
    {
        Outcome outcome = FeedAll(Build($"GET {target} HTTP/1.1", BaseHeaders));
        Assert.Equal(HandshakeReadStatus.Done, outcome.Status);
        Assert.Equal(target, outcome.Reader.Request!.Target);
        Assert.Equal(path, outcome.Reader.Request.Path);
        Assert.Equal(query, outcome.Reader.Request.Query);
    }

    [Theory]
    [InlineData("HTTP/1.1")]
    [InlineData("HTTP/1.2")]
    [InlineData("HTTP/1.9")]
    public void HigherHttp1MinorVersions_AreAccepted(string version) =>
        Assert.Equal(HandshakeReadStatus.Done, FeedAll(Build($"GET / {version}", BaseHeaders)).Status);

    [Fact]
    public void ContentLengthZero_IsAccepted() => Assert.Equal(HandshakeReadStatus.Done, FeedAll(With("Content-Length: 0")).Status);

    [Fact]
    public void ObsTextInAnUnrelatedHeader_IsAccepted()
    {
        Outcome outcome = FeedAll(With("X-Name: caf\u00e9"));
        Assert.Equal(HandshakeReadStatus.Done, outcome.Status);
        Assert.True(outcome.Reader.Request!.TryGetHeader("x-name", out string? value));
        Assert.Equal("caf\u00e9", value);
    }

    public static TheoryData<string, HandshakeRequestError, int> Rejections => new()
    {
        // Request line (RFC 9112 §3, RFC 6455 §4.1 item 2).
        { Build("POST /chat HTTP/1.1", BaseHeaders), HandshakeRequestError.MethodNotAllowed, 405 },
        { Build("get /chat HTTP/1.1", BaseHeaders), HandshakeRequestError.MethodNotAllowed, 405 },
        { Build("GET /chat HTTP/1.0", BaseHeaders), HandshakeRequestError.UnsupportedHttpVersion, 505 },
        { Build("GET /chat HTTP/2.0", BaseHeaders), HandshakeRequestError.UnsupportedHttpVersion, 505 },
        { Build("GET /chat http/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestLine, 400 },
        { Build("GET /chat HTTP/1.10", BaseHeaders), HandshakeRequestError.InvalidRequestLine, 400 },
        { Build("GET /chat HTTP/1.1 ", BaseHeaders), HandshakeRequestError.InvalidRequestLine, 400 },
        { Build("GET  /chat HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestLine, 400 },
        { Build("GET /chat  HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestLine, 400 },
        { Build("GET /chat", BaseHeaders), HandshakeRequestError.InvalidRequestLine, 400 },
        { Build(" GET /chat HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestLine, 400 },
        { Build("G(T /chat HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestLine, 400 },
        { Build("GET\t/chat HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestLine, 400 },
        { "\r\n" + Rfc6455Request, HandshakeRequestError.InvalidRequestLine, 400 },
        { Build("GET /chat#frag HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestTarget, 400 },
        { Build("GET chat HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestTarget, 400 },
        { Build("GET * HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestTarget, 400 },
        { Build("GET ftp://example.com/ HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestTarget, 400 },
        { Build("GET ws:///chat HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestTarget, 400 },
        { Build("GET /ch\u00e9 HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestTarget, 400 },
        { Build("GET /ch\u007fat HTTP/1.1", BaseHeaders), HandshakeRequestError.InvalidRequestTarget, 400 },
        // Line endings (RFC 9112 §2.2).
        { Rfc6455Request.Replace("\r\n", "\n"), HandshakeRequestError.InvalidLineEnding, 400 },
        { Rfc6455Request.Replace("Upgrade: websocket\r\n", "Upgrade: websocket\n"), HandshakeRequestError.InvalidLineEnding, 400 },
        { Rfc6455Request.Replace("\r\n\r\n", "\r\n\n"), HandshakeRequestError.InvalidLineEnding, 400 },
        { Rfc6455Request.Replace("Upgrade: websocket\r\n", "Upgrade: websocket\r\r\n"), HandshakeRequestError.InvalidHeaderValue, 400 },
        { Rfc6455Request.Replace("Upgrade: websocket\r\n", "Upgrade: web\rsocket\r\n"), HandshakeRequestError.InvalidHeaderValue, 400 },
        { Rfc6455Request.Replace("GET /chat HTTP/1.1\r\n", "GET /chat HTTP/1.1\r\r\n"), HandshakeRequestError.InvalidRequestLine, 400 },
        // Header line syntax (RFC 9112 §5).
        { With("X-A: 1", " folded"), HandshakeRequestError.ObsoleteLineFolding, 400 },
        { With("X-A: 1", "\tfolded"), HandshakeRequestError.ObsoleteLineFolding, 400 },
        { With("X-A : 1"), HandshakeRequestError.WhitespaceBeforeColon, 400 },
        { With("X-A\t: 1"), HandshakeRequestError.WhitespaceBeforeColon, 400 },
        { With("X-A 1"), HandshakeRequestError.MissingColon, 400 },
        { With(": 1"), HandshakeRequestError.InvalidHeaderName, 400 },
        { With("X(A): 1"), HandshakeRequestError.InvalidHeaderName, 400 },
        { With("X\u00e9: 1"), HandshakeRequestError.InvalidHeaderName, 400 },
        { With("X-A: a\0b"), HandshakeRequestError.InvalidHeaderValue, 400 },
        { With("X-A: a\u007fb"), HandshakeRequestError.InvalidHeaderValue, 400 },
        { With("X-A: a\u0001b"), HandshakeRequestError.InvalidHeaderValue, 400 },
        // Host (RFC 6455 §4.1 item 4).
        { Without("Host"), HandshakeRequestError.InvalidHost, 400 },
        { With("Host: other.example.com"), HandshakeRequestError.InvalidHost, 400 },
        { Without("Host", "Host:"), HandshakeRequestError.InvalidHost, 400 },
        { Without("Host", "Host: a b"), HandshakeRequestError.InvalidHost, 400 },
        { Without("Host", "Host: a,b"), HandshakeRequestError.InvalidHost, 400 },
        { Without("Host", "Host: a/b"), HandshakeRequestError.InvalidHost, 400 },
        // Upgrade and Connection (items 5, 6).
        { Without("Upgrade"), HandshakeRequestError.MissingUpgradeWebSocket, 400 },
        { Without("Upgrade", "Upgrade: h2c"), HandshakeRequestError.MissingUpgradeWebSocket, 400 },
        { Without("Upgrade", "Upgrade: websockets"), HandshakeRequestError.MissingUpgradeWebSocket, 400 },
        { Without("Upgrade", "Upgrade: web socket"), HandshakeRequestError.MissingUpgradeWebSocket, 400 },
        { Without("Connection"), HandshakeRequestError.MissingConnectionUpgrade, 400 },
        { Without("Connection", "Connection: keep-alive"), HandshakeRequestError.MissingConnectionUpgrade, 400 },
        { Without("Connection", "Connection: keep-alive upgrade"), HandshakeRequestError.MissingConnectionUpgrade, 400 },
        // Sec-WebSocket-Key (item 7).
        { Without("Sec-WebSocket-Key"), HandshakeRequestError.InvalidKey, 400 },
        { Without("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j"), HandshakeRequestError.InvalidKey, 400 },
        { Without("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR=="), HandshakeRequestError.InvalidKey, 400 },
        { Without("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQAAAA=="), HandshakeRequestError.InvalidKey, 400 },
        { Without("Sec-WebSocket-Key", "Sec-WebSocket-Key:"), HandshakeRequestError.InvalidKey, 400 },
        { With("Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw=="), HandshakeRequestError.InvalidKey, 400 },
        // Sec-WebSocket-Version (item 9, §4.2.2): 426.
        { Without("Sec-WebSocket-Version"), HandshakeRequestError.UnsupportedWebSocketVersion, 426 },
        { Without("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8"), HandshakeRequestError.UnsupportedWebSocketVersion, 426 },
        { Without("Sec-WebSocket-Version", "Sec-WebSocket-Version: 13, 8"), HandshakeRequestError.UnsupportedWebSocketVersion, 426 },
        { Without("Sec-WebSocket-Version", "Sec-WebSocket-Version: 013"), HandshakeRequestError.UnsupportedWebSocketVersion, 426 },
        { With("Sec-WebSocket-Version: 13"), HandshakeRequestError.UnsupportedWebSocketVersion, 426 },
        // Origin, subprotocols, body.
        { With("Origin: http://a.example", "Origin: http://b.example"), HandshakeRequestError.InvalidOrigin, 400 },
        { With("Origin: http://a.example/\u00e9"), HandshakeRequestError.InvalidOrigin, 400 },
        { With("Sec-WebSocket-Protocol: chat, super/chat"), HandshakeRequestError.InvalidSubprotocolList, 400 },
        { With("Sec-WebSocket-Protocol: \"chat\""), HandshakeRequestError.InvalidSubprotocolList, 400 },
        { With("Sec-WebSocket-Protocol: chat v2"), HandshakeRequestError.InvalidSubprotocolList, 400 },
        { With("Content-Length: 5"), HandshakeRequestError.RequestBodyNotAllowed, 400 },
        { With("Content-Length: 0", "Content-Length: 0"), HandshakeRequestError.RequestBodyNotAllowed, 400 },
        { With("Transfer-Encoding: chunked"), HandshakeRequestError.RequestBodyNotAllowed, 400 },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Rejections_HaveTheirStatus_InAnySplit(string request, HandshakeRequestError error, int status)
    {
        foreach (Outcome outcome in new[] { FeedAll(request), FeedBytewise(request), Feed(Latin1(request), i => i % 7 + 1) })
        {
            Assert.Equal(HandshakeReadStatus.Rejected, outcome.Status);
            Assert.Equal(error, outcome.Error);
            Assert.Equal(status, outcome.Reader.RejectionStatusCode);
            Assert.Null(outcome.Reader.Request);
        }
        Assert.Equal(status, HandshakeRequestErrors.StatusCode(error));
        Assert.NotEmpty(HandshakeRequestErrors.Reason(error));
    }

    [Fact]
    public void EveryError_HasAStatusAndAReason()
    {
        foreach (HandshakeRequestError error in Enum.GetValues<HandshakeRequestError>())
        {
            if (error == HandshakeRequestError.None) continue;
            Assert.InRange(HandshakeRequestErrors.StatusCode(error), 400, 505);
            Assert.NotEqual("Bad request.", HandshakeRequestErrors.Reason(error));
        }
    }

    [Fact]
    public void MethodIsRejected_AsSoonAsTheRequestLineEnds()
    {
        var reader = new HandshakeRequestReader();
        Assert.Equal(HandshakeReadStatus.Rejected, reader.Read("POST / HTTP/1.1\r\n"u8, out _));
        Assert.Equal(HandshakeRequestError.MethodNotAllowed, reader.Error);
    }

    [Fact]
    public void TrailingBytes_AfterTheBlankLine_AreNotConsumed()
    {
        byte[] frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]; // RFC 6455 §5.7 masked "Hello"
        byte[] data = [.. Encoding.ASCII.GetBytes(Rfc6455Request), .. frame];
        var reader = new HandshakeRequestReader();
        Assert.Equal(HandshakeReadStatus.Done, reader.Read(data, out int consumed));
        Assert.Equal(Rfc6455Request.Length, consumed);
        Assert.Equal(frame, data.AsSpan(consumed).ToArray());
        Assert.Equal(Rfc6455Request.Length, reader.HeadLength);

        // Further calls consume nothing.
        Assert.Equal(HandshakeReadStatus.Done, reader.Read(frame, out consumed));
        Assert.Equal(0, consumed);

        // Split so that the last piece holds the end of the head and the frame.
        Outcome outcome = Feed(data, i => i == 0 ? Rfc6455Request.Length - 3 : 100);
        Assert.Equal(HandshakeReadStatus.Done, outcome.Status);
        Assert.Equal(Rfc6455Request.Length, outcome.Consumed);
    }

    [Fact]
    public void RejectedReader_StaysRejected_AndResetReusesIt()
    {
        var reader = new HandshakeRequestReader();
        Assert.Equal(HandshakeReadStatus.Rejected, reader.Read(Encoding.ASCII.GetBytes(Without("Host")), out _));
        Assert.Equal(HandshakeReadStatus.Rejected, reader.Read(Encoding.ASCII.GetBytes(Rfc6455Request), out int consumed));
        Assert.Equal(0, consumed);
        reader.Reset();
        Assert.Equal(HandshakeRequestError.None, reader.Error);
        Assert.Equal(HandshakeReadStatus.Done, reader.Read(Encoding.ASCII.GetBytes(Rfc6455Request), out _));
        Assert.Equal("server.example.com", reader.Request!.Host);
    }

    [Fact]
    public void EmptyInput_NeedsMoreData()
    {
        var reader = new HandshakeRequestReader();
        Assert.Equal(HandshakeReadStatus.NeedMoreData, reader.Read(default, out int consumed));
        Assert.Equal(0, consumed);
    }
}
