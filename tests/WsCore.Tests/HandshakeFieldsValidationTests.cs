using WsCore.Handshake;
using static WsCore.Tests.HandshakeTestData;

namespace WsCore.Tests;

/// <summary>
/// ServerHandshake.Validate: the entry point for hosts that parsed HTTP themselves (Kestrel...). It must give the same
/// results as HandshakeRequestReader on the same request.
/// </summary>
public class HandshakeFieldsValidationTests
{
    /// <summary>What a host's HTTP parser would hand over: repeated headers joined by "," as StringValues.ToString() does.</summary>
    private static UpgradeRequestFields AsHostWouldParse(string request)
    {
        string[] lines = request.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1).TakeWhile(l => l.Length > 0))
        {
            int colon = line.IndexOf(':');
            string name = line.Substring(0, colon);
            string value = line.Substring(colon + 1).Trim(' ', '\t');
            headers[name] = headers.TryGetValue(name, out string? existing) ? existing + "," + value : value;
        }
        string? Get(string name) => headers.TryGetValue(name, out string? v) ? v : null;
        return new UpgradeRequestFields
        {
            Method = requestLine[0],
            Target = requestLine[1],
            Protocol = requestLine[2],
            Host = Get("Host"),
            Upgrade = Get("Upgrade"),
            Connection = Get("Connection"),
            SecWebSocketKey = Get("Sec-WebSocket-Key"),
            SecWebSocketVersion = Get("Sec-WebSocket-Version"),
            Origin = Get("Origin"),
            SecWebSocketProtocol = Get("Sec-WebSocket-Protocol"),
            SecWebSocketExtensions = Get("Sec-WebSocket-Extensions"),
            ContentLength = Get("Content-Length"),
            TransferEncoding = Get("Transfer-Encoding"),
        };
    }

    public static TheoryData<string> ValidRequests => new() { Rfc6455Request, ChromeRequest, FirefoxRequest, AutobahnRequest };

    [Theory]
    [MemberData(nameof(ValidRequests))]
    public void ValidRequests_GiveTheSameRequestAsTheReader(string text)
    {
        Assert.Equal(HandshakeRequestError.None, ServerHandshake.Validate(AsHostWouldParse(text), out HandshakeRequest? fromFields));
        HandshakeRequest fromBytes = FeedAll(text).Reader.Request!;
        Assert.NotNull(fromFields);
        Assert.Equal(fromBytes.Target, fromFields.Target);
        Assert.Equal(fromBytes.Path, fromFields.Path);
        Assert.Equal(fromBytes.Query, fromFields.Query);
        Assert.Equal(fromBytes.Host, fromFields.Host);
        Assert.Equal(fromBytes.Origin, fromFields.Origin);
        Assert.Equal(fromBytes.Key, fromFields.Key);
        Assert.Equal(fromBytes.Subprotocols, fromFields.Subprotocols);
        Assert.Equal(fromBytes.Extensions, fromFields.Extensions);
        Assert.Equal(0, fromFields.HeaderCount);
        Assert.False(fromFields.TryGetHeader("Host", out _));
    }

    private static readonly HashSet<HandshakeRequestError> SyntaxErrors =
    [
        HandshakeRequestError.InvalidLineEnding, HandshakeRequestError.ObsoleteLineFolding, HandshakeRequestError.MissingColon,
        HandshakeRequestError.WhitespaceBeforeColon, HandshakeRequestError.InvalidHeaderName, HandshakeRequestError.InvalidHeaderValue,
        HandshakeRequestError.InvalidRequestLine,
    ];

    [Fact]
    public void EverySemanticRejection_IsTheSame_FromFields()
    {
        int checkedRows = 0;
        foreach (object[] row in HandshakeRequestReaderTests.Rejections)
        {
            var request = (string)row[0];
            var error = (HandshakeRequestError)row[1];
            if (SyntaxErrors.Contains(error) || request.Contains('\u00e9') || request.Contains('\u007f')) continue;
            Assert.Equal(error, ServerHandshake.Validate(AsHostWouldParse(request), out HandshakeRequest? result));
            Assert.Null(result);
            checkedRows++;
        }
        Assert.True(checkedRows >= 40, $"only {checkedRows} rows");
    }

    [Fact]
    public void MissingRequestLineParts_AreInvalidRequestLine()
    {
        UpgradeRequestFields fields = AsHostWouldParse(Rfc6455Request);
        Assert.Equal(HandshakeRequestError.InvalidRequestLine, ServerHandshake.Validate(fields with { Method = null }, out _));
        Assert.Equal(HandshakeRequestError.InvalidRequestLine, ServerHandshake.Validate(fields with { Protocol = "HTTP/1" }, out _));
        Assert.Equal(HandshakeRequestError.InvalidRequestTarget, ServerHandshake.Validate(fields with { Target = "" }, out _));
        Assert.Equal(HandshakeRequestError.UnsupportedHttpVersion, ServerHandshake.Validate(fields with { Protocol = "HTTP/2.0" }, out _));
        Assert.Equal(HandshakeRequestError.None, ServerHandshake.Validate(fields, out _));
        Assert.Equal(HandshakeRequestError.InvalidRequestLine, ServerHandshake.Validate(default, out _));
        Assert.Equal(HandshakeRequestError.InvalidHost, ServerHandshake.Validate(fields with { Host = null }, out _));
    }
}
