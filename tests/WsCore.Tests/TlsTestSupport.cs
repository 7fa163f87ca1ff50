using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>A self-signed server certificate for localhost, 127.0.0.1 and ::1, made once per test run.</summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> s_localhost = new(Create);

    /// <summary>The certificate, with its private key.</summary>
    public static X509Certificate2 Localhost => s_localhost.Value;

    /// <summary>Accepts exactly <see cref="Localhost"/> (whatever the chain says: it is self-signed), for either client's callback.</summary>
    public static bool AcceptLocalhost(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && certificate.GetCertHashString() == Localhost.GetCertHashString();

    private static X509Certificate2 Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // An ephemeral key is not usable by SslStream on Linux: export to PFX and import again.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }
}

/// <summary>
/// One WsCore server (<see cref="SocketWebSockets.RunServerAsync"/>) for the client tests, plain or TLS, on 127.0.0.1:
/// <c>/echo</c> echoes every message (the engine answers the client's close), <c>/close</c> sends one text message and
/// then closes with 4000 "bye", <c>/reject</c> is refused with 403; a request offering <c>chat.v2</c> gets it. Every
/// accepted request is kept (headers, subprotocols) for the tests to look at.
/// </summary>
internal sealed class TestWsServer : IAsyncDisposable
{
    public const ushort ServerCloseCode = 4000;
    public const string ServerCloseReason = "bye";

    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<HandshakeRequest> _requests = new();
    private Task _server = Task.CompletedTask;

    private TestWsServer(bool tls) => IsTls = tls;

    public int Port { get; private set; }

    public bool IsTls { get; }

    /// <summary>The URI of <paramref name="path"/>, with localhost (the certificate's name) as host.</summary>
    public Uri Uri(string path = "/echo") => new($"{(IsTls ? "wss" : "ws")}://localhost:{Port}{path}");

    /// <summary>The same with 127.0.0.1 (the certificate names it too).</summary>
    public Uri IpUri(string path = "/echo") => new($"{(IsTls ? "wss" : "ws")}://127.0.0.1:{Port}{path}");

    /// <summary>The valid requests the server saw (accepted or refused by its policy), in order.</summary>
    public HandshakeRequest[] Requests => [.. _requests];

    /// <summary>For each connection the server accepted, in order: whether it runs with permessage-deflate.</summary>
    public bool[] CompressionEnabled => [.. _compression];

    private readonly ConcurrentQueue<bool> _compression = new();

    /// <summary>Starts the server; <paramref name="options"/> may set limits, timeouts or TLS options of its own.</summary>
    public static async Task<TestWsServer> StartAsync(bool tls, bool compression = false, WebSocketServerOptions? options = null)
    {
        var server = new TestWsServer(tls);
        var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        options ??= new WebSocketServerOptions();
        options = options with
        {
            ServerCertificate = tls && options.SslOptions is null ? TestCertificates.Localhost : options.ServerCertificate,
            Connection = options.Connection with
            {
                Protocol = options.Connection.Protocol with { PerMessageDeflate = compression ? new Compression.PerMessageDeflateOptions { Enabled = true } : Compression.PerMessageDeflateOptions.Disabled },
                CloseTimeout = TimeSpan.FromSeconds(5),
            },
            Policy = request =>
            {
                server._requests.Enqueue(request);
                if (request.Path == "/reject") return ServerHandshakeDecision.Reject(403, "Not here.");
                return ServerHandshakeDecision.Accept(request.OffersSubprotocol("chat.v2") ? "chat.v2" : null);
            },
        };
        server._server = SocketWebSockets.RunServerAsync(new IPEndPoint(IPAddress.Loopback, 0), server.HandleAsync, options, listening.SetResult, server._stop.Token);
        IPEndPoint endpoint = await listening.Task.WaitAsync(TimeSpan.FromSeconds(10));
        server.Port = endpoint.Port;
        return server;
    }

    private async Task HandleAsync(WebSocketConnection connection, HandshakeRequest request)
    {
        _compression.Enqueue(connection.IsCompressionEnabled);
        byte[] buffer = new byte[64 * 1024];
        if (request.Path == "/close")
        {
            await connection.SendAsync(Encoding.UTF8.GetBytes("closing"), MessageKind.Text);
            await connection.CloseAsync(ServerCloseCode, Encoding.UTF8.GetBytes(ServerCloseReason));
            return;
        }
        while (true)
        {
            ConnectionReceiveResult r = await connection.ReceiveAsync(buffer);
            if (r.Kind != ConnectionReceiveKind.MessageData) return;
            if (await connection.SendAsync(buffer.AsMemory(0, r.Count), r.MessageKind, r.EndOfMessage) != SendStatus.Done) return;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _server.WaitAsync(TimeSpan.FromSeconds(10));
    }
}

/// <summary>
/// A small HTTP CONNECT proxy for the tests: reads <c>CONNECT host:port</c> and its headers, checks Proxy-Authorization
/// when credentials are required (407 with Proxy-Authenticate otherwise), or refuses with a fixed status; else connects
/// to the destination, answers 200 and pipes bytes both ways until either side closes.
/// </summary>
internal sealed class ConnectProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Task> _tunnels = new();
    private readonly Task _accepting;
    private readonly string? _requiredAuthorization;
    private readonly int _refuseWith;
    private readonly string? _answer;

    /// <param name="requiredAuthorization">The Proxy-Authorization value a client must send (e.g. "Basic ..."), or null.</param>
    /// <param name="refuseWith">A status to answer every CONNECT with (e.g. 502), or 0 to tunnel.</param>
    /// <param name="answer">Bytes (as Latin-1 text) to answer every CONNECT with before closing, or null; "" closes without a word.</param>
    public ConnectProxy(string? requiredAuthorization = null, int refuseWith = 0, string? answer = null)
    {
        _requiredAuthorization = requiredAuthorization;
        _refuseWith = refuseWith;
        _answer = answer;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Uri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>The request line of every CONNECT received, e.g. "CONNECT localhost:1234 HTTP/1.1".</summary>
    public ConcurrentQueue<string> RequestLines { get; } = new();

    /// <summary>The Proxy-Authorization of every CONNECT received ("" when absent).</summary>
    public ConcurrentQueue<string> Authorizations { get; } = new();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                Socket client = await _listener.AcceptSocketAsync(_stop.Token);
                _tunnels.Enqueue(ServeAsync(client));
            }
        }
        catch (Exception)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                string head = await ReadHeadAsync(client);
                string[] lines = head.Split("\r\n");
                RequestLines.Enqueue(lines[0]);
                string authorization = "";
                foreach (string line in lines.Skip(1))
                {
                    if (line.StartsWith("Proxy-Authorization:", StringComparison.OrdinalIgnoreCase)) authorization = line["Proxy-Authorization:".Length..].Trim();
                }
                Authorizations.Enqueue(authorization);
                string[] parts = lines[0].Split(' ');
                if (parts.Length != 3 || parts[0] != "CONNECT")
                {
                    await SendAsync(client, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
                    return;
                }
                if (_answer is not null)
                {
                    if (_answer.Length > 0) await SendAsync(client, _answer);
                    return;
                }
                if (_refuseWith != 0)
                {
                    await SendAsync(client, $"HTTP/1.1 {_refuseWith} Refused\r\nContent-Length: 0\r\n\r\n");
                    return;
                }
                if (_requiredAuthorization is not null && authorization != _requiredAuthorization)
                {
                    await SendAsync(client, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n");
                    return;
                }
                int colon = parts[1].LastIndexOf(':');
                string host = parts[1][..colon].Trim('[', ']');
                int port = int.Parse(parts[1][(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await upstream.ConnectAsync(host, port, _stop.Token);
                await SendAsync(client, "HTTP/1.1 200 Connection established\r\n\r\n");
                await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
            }
            catch (Exception)
            {
                // A tunnel that broke: the test sees it on its side.
            }
        }
    }

    /// <summary>The head up to its blank line, read byte by byte so that nothing after it is taken.</summary>
    private static async Task<string> ReadHeadAsync(Socket socket)
    {
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (head.Length > 8192 || await socket.ReceiveAsync(one, SocketFlags.None) == 0) throw new IOException("no head");
            head.Append((char)one[0]);
        }
        return head.ToString(0, head.Length - 4);
    }

    private static Task SendAsync(Socket socket, string text) => socket.SendAsync(Encoding.Latin1.GetBytes(text), SocketFlags.None);

    private static async Task PumpAsync(Socket from, Socket to)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0) break;
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            try { to.Shutdown(SocketShutdown.Both); } catch (Exception) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        foreach (Task tunnel in _tunnels) await tunnel.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
