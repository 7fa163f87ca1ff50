using System.Net;
using System.Text;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// The WsCore client through an HTTP proxy (<see cref="WebSocketClientOptions.Proxy"/>), against a small CONNECT proxy in
/// the test (<see cref="ConnectProxy"/>): the tunnel for ws:// and wss://, Basic credentials, and every way a proxy can
/// refuse, each a <see cref="WebSocketConnectFailure.Proxy"/> naming the status.
/// </summary>
public class HttpProxyTests
{
    private static WebSocketClientOptions Options(IWebProxy? proxy) => new()
    {
        Proxy = proxy,
        RemoteCertificateValidationCallback = TestCertificates.AcceptLocalhost,
    };

    private static async Task AssertEchoesAsync(WebSocketClientConnection client)
    {
        Assert.Null(client.Error);
        Assert.Equal(SendStatus.Done, await client.Connection!.SendAsync("ping through proxy"u8.ToArray(), MessageKind.Text));
        Assert.Equal("ping through proxy", Encoding.UTF8.GetString(await TlsTests.ReceiveMessageAsync(client.Connection, MessageKind.Text)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_client_tunnels_with_connect_and_tls_runs_end_to_end_through_it(bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls);
        await using var proxy = new ConnectProxy();
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), Options(new WebProxy(proxy.Uri)));
        await AssertEchoesAsync(client);
        Assert.Equal($"CONNECT localhost:{server.Port} HTTP/1.1", Assert.Single(proxy.RequestLines));
        Assert.Equal("", Assert.Single(proxy.Authorizations));
        Assert.Equal($"localhost:{server.Port}", server.Requests.Single().Host); // the upgrade request names the server, not the proxy
    }

    [Fact]
    public async Task An_ipv4_literal_goes_into_connect_as_it_is()
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: false);
        await using var proxy = new ConnectProxy();
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.IpUri(), Options(new WebProxy(proxy.Uri)));
        await AssertEchoesAsync(client);
        Assert.Equal($"CONNECT 127.0.0.1:{server.Port} HTTP/1.1", Assert.Single(proxy.RequestLines));
    }

    [Fact]
    public async Task The_proxys_credentials_are_sent_as_basic()
    {
        string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cr:t é"));
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true);
        await using var proxy = new ConnectProxy(requiredAuthorization: expected);
        var webProxy = new WebProxy(proxy.Uri) { Credentials = new NetworkCredential("alice", "s3cr:t é") };
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), Options(webProxy));
        await AssertEchoesAsync(client);
        Assert.Equal(expected, Assert.Single(proxy.Authorizations));
    }

    [Fact]
    public async Task Credentials_in_the_proxys_uri_are_sent_as_basic()
    {
        string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:p@ss"));
        await using TestWsServer server = await TestWsServer.StartAsync(tls: false);
        await using var proxy = new ConnectProxy(requiredAuthorization: expected);
        var uri = new Uri($"http://bob:p%40ss@127.0.0.1:{proxy.Uri.Port}/");
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), Options(new WebProxy(uri)));
        await AssertEchoesAsync(client);
    }

    [Fact]
    public async Task A_407_without_credentials_is_a_proxy_failure_naming_the_status()
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true);
        await using var proxy = new ConnectProxy(requiredAuthorization: "Basic Zm9vOmJhcg==");
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), Options(new WebProxy(proxy.Uri)));
        Assert.Null(client.Connection);
        WebSocketConnectException error = client.Error!;
        Assert.Equal(WebSocketConnectFailure.Proxy, error.Failure);
        Assert.Equal(407, error.StatusCode);
        Assert.Equal(HandshakeResponseError.UnexpectedStatusCode, error.HandshakeError);
        Assert.Contains("HTTP 407 Proxy Authentication Required", error.Message);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Wrong_credentials_get_the_407_too()
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: false);
        await using var proxy = new ConnectProxy(requiredAuthorization: "Basic Zm9vOmJhcg==");
        var webProxy = new WebProxy(proxy.Uri) { Credentials = new NetworkCredential("foo", "wrong") };
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), Options(webProxy));
        Assert.Equal(407, client.Error!.StatusCode);
    }

    [Theory]
    [InlineData(502)]
    [InlineData(403)]
    [InlineData(302)]
    public async Task Any_status_other_than_2xx_is_a_proxy_failure_naming_it(int status)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: false);
        await using var proxy = new ConnectProxy(refuseWith: status);
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), Options(new WebProxy(proxy.Uri)));
        Assert.Equal(WebSocketConnectFailure.Proxy, client.Error!.Failure);
        Assert.Equal(status, client.Error.StatusCode);
        Assert.Contains($"HTTP {status}", client.Error.Message);
    }

    [Theory]
    [InlineData("")] // closes without a word
    [InlineData("HTTP/1.1 200 OK\r\n")] // closes halfway through its head
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n\r\n")] // not HTTP
    [InlineData("HTTP/2.0 200 OK\r\n\r\n")] // not HTTP/1.x
    [InlineData("HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n")] // bytes before anything was sent through
    public async Task A_proxy_answer_that_is_not_a_tunnel_is_a_proxy_failure(string answer)
    {
        await using var proxy = new ConnectProxy(answer: answer);
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(new Uri("ws://example.test/"), Options(new WebProxy(proxy.Uri)));
        Assert.Null(client.Connection);
        Assert.Equal(WebSocketConnectFailure.Proxy, client.Error!.Failure);
    }

    [Fact]
    public async Task A_proxy_head_beyond_the_limits_is_a_proxy_failure()
    {
        string huge = "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Range(0, 2000).Select(i => $"X-Filler-{i}: {new string('x', 40)}\r\n")) + "\r\n";
        await using var proxy = new ConnectProxy(answer: huge);
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(new Uri("ws://example.test/"), Options(new WebProxy(proxy.Uri)));
        Assert.Equal(WebSocketConnectFailure.Proxy, client.Error!.Failure);
        Assert.True(client.Error.HandshakeError is HandshakeResponseError.HeadersTooLarge or HandshakeResponseError.TooManyHeaders, client.Error.HandshakeError.ToString());
    }

    [Fact]
    public async Task A_proxy_that_is_not_there_is_a_connect_failure_naming_the_proxy()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(new Uri("ws://example.test/"), Options(new WebProxy($"http://127.0.0.1:{port}")));
        Assert.Equal(WebSocketConnectFailure.Connect, client.Error!.Failure);
        Assert.Contains("proxy", client.Error.Message);
    }

    [Fact]
    public async Task An_https_proxy_is_refused_as_unsupported()
    {
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(new Uri("ws://example.test/"), Options(new WebProxy("https://127.0.0.1:1")));
        Assert.Equal(WebSocketConnectFailure.Proxy, client.Error!.Failure);
        Assert.Contains("http://", client.Error.Message);
    }

    /// <summary>A proxy that bypasses everything, and records what it was asked.</summary>
    private sealed class BypassingProxy(Uri address) : IWebProxy
    {
        public List<Uri> Asked { get; } = [];

        public ICredentials? Credentials { get; set; }

        public Uri? GetProxy(Uri destination) => address;

        public bool IsBypassed(Uri host)
        {
            Asked.Add(host);
            return true;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_bypassed_destination_is_connected_directly_and_the_proxy_is_asked_with_http_or_https(bool tls)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls);
        await using var proxy = new ConnectProxy();
        var bypass = new BypassingProxy(proxy.Uri);
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri("/echo?x=1"), Options(bypass));
        await AssertEchoesAsync(client);
        Assert.Empty(proxy.RequestLines);
        Assert.Equal(new Uri($"{(tls ? "https" : "http")}://localhost:{server.Port}/echo?x=1"), Assert.Single(bypass.Asked));
    }

    [Fact]
    public async Task The_connect_timeout_bounds_a_proxy_that_never_answers()
    {
        // A listener that accepts (the backlog does) and never reads or answers.
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(4);
        var options = Options(new WebProxy($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndPoint!).Port}")) with { ConnectTimeout = TimeSpan.FromSeconds(1) };
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(new Uri("wss://example.test/"), options);
        Assert.Equal(WebSocketConnectFailure.Timeout, client.Error!.Failure);
        Assert.Contains("proxy tunnel", client.Error.Message);
    }
}
