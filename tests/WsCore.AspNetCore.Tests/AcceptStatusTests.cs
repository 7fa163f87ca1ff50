using System.Net;
using System.Net.Http;

namespace WsCore.AspNetCore.Tests;

/// <summary>
/// Every request that is not a valid WebSocket request gets its status, and nothing throws: HTTP/1.1 (RFC 6455 §4.2.1,
/// the statuses of <c>HandshakeRequestErrors</c>) and HTTP/2 (RFC 8441: a WebSocket is a CONNECT with <c>:protocol</c>).
/// </summary>
public class AcceptStatusTests(TestApp app) : IClassFixture<TestApp>
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private KestrelServer Server => app.Server;

    private static string Upgrade(string method = "GET", string version = "13", string? key = Key, string upgrade = "websocket",
        string connection = "Upgrade", string path = "/echo") =>
        $"{method} {path} HTTP/1.1\nHost: localhost\nUpgrade: {upgrade}\nConnection: {connection}\n" +
        (key is null ? "" : $"Sec-WebSocket-Key: {key}\n") + $"Sec-WebSocket-Version: {version}\n";

    [Fact]
    public async Task ValidUpgrade_Is101_WithTheAccept()
    {
        RawResponse r = await Server.SendRawAsync(Upgrade());
        Assert.Equal(101, r.Status);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", r.Header("Sec-WebSocket-Accept")); // RFC 6455 §1.3
        Assert.Equal("websocket", r.Header("Upgrade"));
    }

    [Fact]
    public async Task PlainGet_WithoutUpgradeHeaders_Is400()
    {
        using var client = new HttpClient(new SocketsHttpHandler());
        using HttpResponseMessage r = await client.GetAsync(Server.HttpUri("/echo", http2: false));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("Upgrade header must contain 'websocket'.", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Post_Is405_WithAllowGet()
    {
        using var client = new HttpClient(new SocketsHttpHandler());
        using HttpResponseMessage r = await client.PostAsync(Server.HttpUri("/echo", http2: false), new StringContent("x"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        Assert.Equal(["GET"], r.Content.Headers.Allow);
    }

    [Fact]
    public async Task PostUpgrade_Is405_WithAllowGet()
    {
        RawResponse r = await Server.SendRawAsync(Upgrade(method: "POST") + "Content-Length: 0\n");
        Assert.Equal(405, r.Status);
        Assert.Equal("GET", r.Header("Allow"));
    }

    [Theory]
    [InlineData("8")]
    [InlineData("12")]
    [InlineData("13, 8")]
    public async Task WrongVersion_Is426_WithVersion13(string version)
    {
        // RFC 6455 §4.4: the versions the server speaks; RFC 9110 §15.5.22: a 426 names the protocol to upgrade to.
        RawResponse r = await Server.SendRawAsync(Upgrade(version: version));
        Assert.Equal(426, r.Status);
        Assert.Equal("13", r.Header("Sec-WebSocket-Version"));
        Assert.Equal("websocket", r.Header("Upgrade"));
        Assert.Equal("Sec-WebSocket-Version must be 13.", r.Body);
    }

    [Theory]
    [InlineData(null, "Sec-WebSocket-Key must be base64 of 16 bytes.")]
    [InlineData("short", "Sec-WebSocket-Key must be base64 of 16 bytes.")]
    public async Task BadKey_Is400(string? key, string reason)
    {
        RawResponse r = await Server.SendRawAsync(Upgrade(key: key));
        Assert.Equal(400, r.Status);
        Assert.Equal(reason, r.Body);
    }

    [Fact]
    public async Task UpgradeToSomethingElse_Is400()
    {
        RawResponse r = await Server.SendRawAsync(Upgrade(upgrade: "h2c"));
        Assert.Equal(400, r.Status);
        Assert.Equal("Upgrade header must contain 'websocket'.", r.Body);
    }

    [Fact]
    public async Task ConnectionWithoutUpgrade_Is400()
    {
        RawResponse r = await Server.SendRawAsync(Upgrade(connection: "keep-alive"));
        Assert.Equal(400, r.Status);
    }

    [Fact]
    public async Task TwoOrigins_Is400()
    {
        RawResponse r = await Server.SendRawAsync(Upgrade() + "Origin: http://a.example\nOrigin: http://b.example\n");
        Assert.Equal(400, r.Status);
        Assert.Equal("Invalid Origin header.", r.Body);
    }

    [Fact]
    public async Task Http10_Is505()
    {
        RawResponse r = await Server.SendRawAsync(Upgrade().Replace("HTTP/1.1", "HTTP/1.0", StringComparison.Ordinal));
        Assert.Equal(505, r.Status);
    }

    [Fact]
    public async Task AfterARejection_TheConnectionServesTheNextRequest()
    {
        using var client = new HttpClient(new SocketsHttpHandler());
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage r = await client.GetAsync(Server.HttpUri("/echo", http2: false));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }
        Assert.Equal("plain HTTP", await client.GetStringAsync(Server.HttpUri("/both", http2: false)));
    }

    // ---- HTTP/2 (h2c, prior knowledge) ----

    private async Task<HttpResponseMessage> SendHttp2Async(HttpMethod method, string path, string? protocol, string version = "13")
    {
        using var request = new HttpRequestMessage(method, Server.HttpUri(path, http2: true))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (protocol is not null) request.Headers.Protocol = protocol;
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", version);
        using var cts = new CancellationTokenSource(KestrelServer.Timeout);
        return await Server.Invoker.SendAsync(request, cts.Token);
    }

    [Fact]
    public async Task Http2_PlainGet_Is405_WithAllowConnect()
    {
        using HttpResponseMessage r = await SendHttp2Async(HttpMethod.Get, "/echo", protocol: null);
        Assert.Equal(HttpVersion.Version20, r.Version);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        Assert.Equal(["CONNECT"], r.Content.Headers.Allow);
    }

    [Fact]
    public async Task Http2_WrongVersion_Is400_WithVersion13()
    {
        // HTTP/2 cannot carry the Upgrade header a 426 needs: 400, still naming the version (RFC 6455 §4.4).
        using HttpResponseMessage r = await SendHttp2Async(HttpMethod.Connect, "/echo", protocol: "websocket", version: "8");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(["13"], r.Headers.GetValues("Sec-WebSocket-Version"));
        Assert.Equal("Sec-WebSocket-Version must be 13.", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Http2_ConnectForAnotherProtocol_Is400()
    {
        using HttpResponseMessage r = await SendHttp2Async(HttpMethod.Connect, "/echo", protocol: "webtransport");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("Upgrade header must contain 'websocket'.", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Http2_Post_Is405()
    {
        using HttpResponseMessage r = await SendHttp2Async(HttpMethod.Post, "/echo", protocol: null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
    }

    [Fact]
    public async Task Http2_PolicyRejection_IsItsStatus()
    {
        using HttpResponseMessage r = await SendHttp2Async(HttpMethod.Connect, "/private", protocol: "websocket");
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Equal("Forbidden.", await r.Content.ReadAsStringAsync());
    }
}
