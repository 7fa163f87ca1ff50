using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using WsCore.Closing;
using WsCore.Compression;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// wss:// end to end on loopback with a certificate made in the test: the WsCore client (<see cref="SocketWebSockets.ConnectAsync"/>)
/// against the WsCore server (<see cref="SocketWebSockets.RunServerAsync"/> with a certificate), certificate checks,
/// the target host and SNI, and what the server does with TLS clients that never finish the TLS handshake.
/// </summary>
public class TlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The handshake timeout of the tests about it: short against the tests' 30 s bound, long enough for the healthy
    /// client that follows (TLS and the upgrade together) on a loaded machine.
    /// </summary>
    private static readonly TimeSpan ShortHandshakeTimeout = TimeSpan.FromSeconds(3);

    private static WebSocketClientOptions TrustingOptions(bool compression = false) => new()
    {
        RemoteCertificateValidationCallback = TestCertificates.AcceptLocalhost,
        Connection = new WebSocketConnectionOptions
        {
            Protocol = new WebSocketProtocolOptions { PerMessageDeflate = compression ? new PerMessageDeflateOptions { Enabled = true } : PerMessageDeflateOptions.Disabled },
        },
    };

    internal static async Task<byte[]> ReceiveMessageAsync(WebSocketConnection connection, MessageKind expected)
    {
        var received = new MemoryStream();
        byte[] buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            ConnectionReceiveResult r = await connection.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
            Assert.Equal(expected, r.MessageKind);
            received.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return received.ToArray();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_wss_client_and_server_echo_text_and_binary_both_ways_and_close(bool compression)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true, compression);
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), TrustingOptions(compression));
        Assert.Null(client.Error);
        Assert.IsNotType<SocketDuplexPipe>(client.Transport); // the TLS stream's pipes
        WebSocketConnection connection = client.Connection!;
        Assert.Equal(compression, connection.IsCompressionEnabled);

        byte[] text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("héllo wörld ", 20_000)));
        byte[] binary = new byte[300_000];
        new Random(7).NextBytes(binary);
        Assert.Equal(SendStatus.Done, await connection.SendAsync(text, MessageKind.Text));
        Assert.Equal(text, await ReceiveMessageAsync(connection, MessageKind.Text));
        Assert.Equal(SendStatus.Done, await connection.SendAsync(binary, MessageKind.Binary));
        Assert.Equal(binary, await ReceiveMessageAsync(connection, MessageKind.Binary));

        using var timeout = new CancellationTokenSource(Timeout);
        Assert.Equal(SendStatus.Done, await connection.CloseAsync(CloseCodes.NormalClosure, cancellationToken: timeout.Token));
        Assert.Equal(CloseHandshakeState.Closed, connection.State);
        Assert.Equal(CloseCodes.NormalClosure, connection.PeerCloseCode);
        Assert.False(connection.IsAborted);
    }

    [Fact]
    public async Task The_server_closes_first_over_tls_and_the_client_sees_its_code_and_reason()
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true);
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri("/close"), TrustingOptions());
        WebSocketConnection connection = client.Connection!;
        Assert.Equal("closing", Encoding.UTF8.GetString(await ReceiveMessageAsync(connection, MessageKind.Text)));
        using var timeout = new CancellationTokenSource(Timeout);
        ConnectionReceiveResult r = await connection.ReceiveAsync(new byte[16], timeout.Token);
        Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
        Assert.Equal(TestWsServer.ServerCloseCode, connection.PeerCloseCode);
        Assert.Equal(TestWsServer.ServerCloseReason, connection.PeerCloseReason);
        Assert.Equal(CloseHandshakeState.Closed, connection.State); // the engine answered
        Assert.False(connection.IsAborted);
    }

    [Fact]
    public async Task An_untrusted_certificate_fails_the_connect_at_the_tls_step()
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true);
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), new WebSocketClientOptions());
        Assert.Null(client.Connection);
        WebSocketConnectException error = Assert.IsType<WebSocketConnectException>(client.Error);
        Assert.Equal(WebSocketConnectFailure.Tls, error.Failure);
        Assert.Equal(0, error.StatusCode);
        Assert.IsType<AuthenticationException>(error.InnerException);
        Assert.Contains("TLS", client.Failure);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_target_host_is_the_uris_host_and_is_sent_as_sni_unless_the_ssl_options_name_one(bool overrideTargetHost)
    {
        string? sni = null;
        var tls = new SslServerAuthenticationOptions
        {
            ServerCertificateSelectionCallback = (_, hostName) =>
            {
                sni = hostName;
                return TestCertificates.Localhost;
            },
        };
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true, options: new WebSocketServerOptions { SslOptions = tls });
        string? validatedFor = null;
        var options = new WebSocketClientOptions
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = overrideTargetHost ? "ws.example.test" : null,
                RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                {
                    validatedFor = ((SslStream)sender).TargetHostName;
                    return TestCertificates.AcceptLocalhost(sender, certificate, chain, errors);
                },
            },
        };
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), options);
        Assert.Null(client.Error);
        string expected = overrideTargetHost ? "ws.example.test" : "localhost";
        Assert.Equal(expected, sni);
        Assert.Equal(expected, validatedFor);
        Assert.Null(options.SslOptions.ApplicationProtocols); // the caller's options are never changed
        Assert.Equal("localhost:" + server.Port, server.Requests.Single().Host);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_certificate_is_checked_against_the_uris_host_name_or_ip_address(bool ipLiteral)
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true);
        System.Net.Security.SslPolicyErrors? seen = null;
        var options = new WebSocketClientOptions
        {
            RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
            {
                seen = errors;
                return TestCertificates.AcceptLocalhost(sender, certificate, chain, errors);
            },
        };
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(ipLiteral ? server.IpUri() : server.Uri(), options);
        Assert.Null(client.Error);
        // Self-signed: the chain is untrusted, but the name (or the address) matches the certificate's.
        Assert.Equal(System.Net.Security.SslPolicyErrors.None, seen!.Value & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch);
        Assert.NotEqual(System.Net.Security.SslPolicyErrors.None, seen.Value & System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors);
    }

    [Fact]
    public async Task A_validation_callback_in_both_places_is_refused_before_connecting()
    {
        var options = new WebSocketClientOptions
        {
            RemoteCertificateValidationCallback = TestCertificates.AcceptLocalhost,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = TestCertificates.AcceptLocalhost },
        };
        await Assert.ThrowsAsync<ArgumentException>(() => SocketWebSockets.ConnectAsync(new Uri("wss://localhost:1/"), options));
    }

    [Fact]
    public async Task A_plain_client_against_a_tls_server_fails_with_a_defined_error()
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true, options: new WebSocketServerOptions { HandshakeTimeout = TimeSpan.FromSeconds(20) });
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/echo"));
        Assert.Null(client.Connection);
        // The server takes "GET / HTTP/1.1" for a broken ClientHello and closes (after a TLS alert, which is not HTTP).
        Assert.Equal(WebSocketConnectFailure.Handshake, client.Error!.Failure);
    }

    /// <summary>Connects a raw TCP client and returns once the server has closed the connection (EOF or reset).</summary>
    private static async Task<int> WaitForServerCloseAsync(Socket socket)
    {
        byte[] buffer = new byte[4096];
        int total = 0;
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (n == 0) return total;
                total += n;
            }
        }
        catch (SocketException)
        {
            return total; // reset: closed too
        }
    }

    private static async Task AssertServerStillServesAsync(TestWsServer server)
    {
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), TrustingOptions());
        Assert.Null(client.Error);
        Assert.Equal(SendStatus.Done, await client.Connection!.SendAsync("still here"u8.ToArray(), MessageKind.Text));
        Assert.Equal("still here", Encoding.UTF8.GetString(await ReceiveMessageAsync(client.Connection, MessageKind.Text)));
    }

    [Fact]
    public async Task A_tls_client_that_never_sends_its_client_hello_is_closed_by_the_handshake_timeout()
    {
        ExceptionWatch.Install();
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true, options: new WebSocketServerOptions { HandshakeTimeout = ShortHandshakeTimeout });
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(IPAddress.Loopback, server.Port);
        // Without the timeout this would wait for the 30 s bound and fail on the cancellation.
        Assert.Equal(0, await WaitForServerCloseAsync(silent));
        await AssertServerStillServesAsync(server);
        ExceptionWatch.AssertNone(nameof(A_tls_client_that_never_sends_its_client_hello_is_closed_by_the_handshake_timeout), "WsCore.Pipelines");
    }

    [Fact]
    public async Task A_tls_client_that_stops_halfway_through_its_client_hello_is_closed_by_the_handshake_timeout()
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true, options: new WebSocketServerOptions { HandshakeTimeout = ShortHandshakeTimeout });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, server.Port);
        // The header of a 512-byte handshake record and 10 bytes of it, then nothing: the server waits for the rest.
        byte[] partial = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03, 0, 0, 0, 0];
        await socket.SendAsync(partial, SocketFlags.None);
        Assert.Equal(0, await WaitForServerCloseAsync(socket)); // closed, without an answer
        await AssertServerStillServesAsync(server);
    }

    [Fact]
    public async Task A_client_that_completes_tls_and_sends_no_upgrade_request_gets_408_when_the_handshake_timeout_passes()
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true, options: new WebSocketServerOptions { HandshakeTimeout = ShortHandshakeTimeout });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var stream = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = TestCertificates.AcceptLocalhost,
        }).WaitAsync(Timeout);
        // The deadline covers TLS and the upgrade together: what TLS left of it runs out, as on the plain path.
        var answer = new MemoryStream();
        byte[] buffer = new byte[1024];
        int n;
        while ((n = await stream.ReadAsync(buffer).AsTask().WaitAsync(Timeout)) > 0) answer.Write(buffer, 0, n);
        Assert.StartsWith("HTTP/1.1 408 ", Encoding.ASCII.GetString(answer.ToArray()));
        await AssertServerStillServesAsync(server);
    }

    [Fact]
    public async Task Garbage_instead_of_a_client_hello_is_closed_and_the_server_goes_on()
    {
        ExceptionWatch.Install();
        await using TestWsServer server = await TestWsServer.StartAsync(tls: true);
        for (int i = 0; i < 3; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, server.Port);
            byte[] garbage = new byte[i == 0 ? 5 : 2000];
            new Random(i).NextBytes(garbage);
            if (i == 1) garbage[0] = 0x16; // looks like a handshake record
            await socket.SendAsync(garbage, SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
            await WaitForServerCloseAsync(socket);
        }
        await AssertServerStillServesAsync(server);
        ExceptionWatch.AssertNone(nameof(Garbage_instead_of_a_client_hello_is_closed_and_the_server_goes_on), "WsCore.Pipelines");
    }

    [Fact]
    public async Task A_server_certificate_without_its_private_key_is_refused_at_start()
    {
        using var publicOnly = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(TestCertificates.Localhost.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Cert));
        var options = new WebSocketServerOptions { ServerCertificate = publicOnly };
        await Assert.ThrowsAsync<ArgumentException>(() => SocketWebSockets.RunServerAsync(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => Task.CompletedTask, options));
    }

    [Fact]
    public async Task Both_server_tls_options_at_once_are_refused()
    {
        var options = new WebSocketServerOptions
        {
            ServerCertificate = TestCertificates.Localhost,
            SslOptions = new SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Localhost },
        };
        await Assert.ThrowsAsync<ArgumentException>(() => SocketWebSockets.RunServerAsync(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => Task.CompletedTask, options));
    }
}
