using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using WsCore.Compression;
using WsCore.Handshake;
using WsCore.Pipelines;

namespace WsCore.Tests;

/// <summary>RFC 6455 §4 over pipes: <see cref="PipeHandshake"/> for both roles.</summary>
public class PipeHandshakeTests
{

    private static (IDuplexPipe server, IDuplexPipe client) Pair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexPipe(toServer.Reader, toClient.Writer), new DuplexPipe(toClient.Reader, toServer.Writer));
    }

    private static async Task<string> ReadAllAsync(PipeReader reader)
    {
        var text = new StringBuilder();
        while (true)
        {
            ReadResult r = await reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            foreach (ReadOnlyMemory<byte> segment in r.Buffer) text.Append(Encoding.Latin1.GetString(segment.Span));
            reader.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted) return text.ToString();
        }
    }

    private static async Task<(ServerHandshakeResult result, string response)> ServeAsync(string request, Func<HandshakeRequest, ServerHandshakeDecision>? policy = null, bool completeInput = true)
    {
        var (server, client) = Pair();
        await client.Output.WriteAsync(Encoding.Latin1.GetBytes(request));
        if (completeInput) await client.Output.CompleteAsync();
        ServerHandshakeResult result = await PipeHandshake.AcceptAsync(server, policy).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await server.Output.CompleteAsync();
        return (result, await ReadAllAsync(client.Input));
    }

    private const string ValidRequest =
        "GET /chat?room=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n";

    [Fact]
    public async Task Section_4_2_2_a_valid_request_is_answered_101_and_following_bytes_stay_in_the_pipe()
    {
        var (server, client) = Pair();
        await client.Output.WriteAsync(Encoding.Latin1.GetBytes(ValidRequest + "\x81\x80"));
        ServerHandshakeResult result = await PipeHandshake.AcceptAsync(server, r => ServerHandshakeDecision.Accept(subprotocol: r.Subprotocols[1]));
        Assert.True(result.IsAccepted);
        Assert.Equal("/chat", result.Request!.Path);
        ReadResult rest = await server.Input.ReadAsync();
        Assert.Equal(new byte[] { 0x81, 0x80 }, rest.Buffer.ToArray());
        server.Input.AdvanceTo(rest.Buffer.End);
        await server.Output.CompleteAsync();
        string response = await ReadAllAsync(client.Input);
        Assert.StartsWith("HTTP/1.1 101 ", response);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", response);
        Assert.Contains("Sec-WebSocket-Protocol: superchat\r\n", response);
    }

    [Fact]
    public async Task Section_4_4_an_unsupported_version_is_answered_426_with_the_supported_version()
    {
        var (result, response) = await ServeAsync(ValidRequest.Replace("Version: 13", "Version: 8"));
        Assert.False(result.IsAccepted);
        Assert.Equal(HandshakeRequestError.UnsupportedWebSocketVersion, result.Error);
        Assert.StartsWith("HTTP/1.1 426 ", response);
        Assert.Contains("Sec-WebSocket-Version: 13\r\n", response);
    }

    [Theory]
    [InlineData("POST / HTTP/1.1\r\n\r\n", 405)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("garbage\r\n\r\n", 400)]
    public async Task Malformed_requests_get_their_status_and_no_upgrade(string request, int status)
    {
        var (result, response) = await ServeAsync(request);
        Assert.False(result.IsAccepted);
        Assert.StartsWith($"HTTP/1.1 {status} ", response);
        Assert.Contains("Connection: close\r\n", response);
    }

    [Fact]
    public async Task A_policy_can_refuse_with_403()
    {
        var (result, response) = await ServeAsync(ValidRequest, _ => ServerHandshakeDecision.Reject(403, "origin not allowed"));
        Assert.False(result.IsAccepted);
        Assert.StartsWith("HTTP/1.1 403 ", response);
        Assert.EndsWith("origin not allowed", response);
    }

    [Fact]
    public async Task A_request_cut_short_gets_no_answer()
    {
        var (result, response) = await ServeAsync(ValidRequest[..40]);
        Assert.False(result.IsAccepted);
        Assert.Equal(HandshakeRequestError.IncompleteRequest, result.Error);
        Assert.Equal("", response);
    }

    [Fact]
    public async Task Client_and_server_agree_through_pipes()
    {
        var (server, client) = Pair();
        Task<ServerHandshakeResult> accepting = PipeHandshake.AcceptAsync(server, r => ServerHandshakeDecision.Accept(subprotocol: "v2")).AsTask();
        ClientHandshakeResult connected = await PipeHandshake.ConnectAsync(client, new ClientUpgradeRequest { Host = "localhost:1", Target = "/x", Subprotocols = ["v1", "v2"] })
            .AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        ServerHandshakeResult accepted = await accepting;
        Assert.True(accepted.IsAccepted);
        Assert.True(connected.IsAccepted);
        Assert.Equal(101, connected.StatusCode);
        Assert.Equal("v2", connected.Response!.Subprotocol);
    }

    [Fact]
    public async Task A_client_sees_a_refusal_as_a_failed_handshake_with_its_status()
    {
        var (server, client) = Pair();
        Task<ServerHandshakeResult> accepting = PipeHandshake.AcceptAsync(server, _ => ServerHandshakeDecision.Reject(404, "no such path")).AsTask();
        ClientHandshakeResult connected = await PipeHandshake.ConnectAsync(client, new ClientUpgradeRequest { Host = "localhost:1" })
            .AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await accepting;
        Assert.False(connected.IsAccepted);
        Assert.Equal(404, connected.StatusCode);
        Assert.Equal(HandshakeResponseError.UnexpectedStatusCode, connected.Error);
    }

    private static readonly PerMessageDeflateOptions Deflate = new() { Enabled = true };

    [Fact]
    public async Task Section_4_2_2_the_server_result_carries_the_agreed_subprotocol_and_deflate_parameters()
    {
        var (server, client) = Pair();
        await client.Output.WriteAsync(Encoding.Latin1.GetBytes(ValidRequest.Replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")));
        ServerHandshakeResult result = await PipeHandshake.AcceptAsync(server, r => ServerHandshakeDecision.Accept(r.Subprotocols[0]), perMessageDeflate: Deflate)
            .AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(result.IsAccepted);
        Assert.Equal("chat", result.Subprotocol);
        Assert.Equal(PerMessageDeflateParameters.Default, result.PerMessageDeflate);
        Assert.Equal("permessage-deflate", result.Response!.Extensions);
        await server.Output.CompleteAsync();
        string response = await ReadAllAsync(client.Input);
        Assert.Contains("\r\nSec-WebSocket-Protocol: chat\r\n", response);
        Assert.Contains("\r\nSec-WebSocket-Extensions: permessage-deflate\r\n", response);
    }

    [Fact]
    public async Task Without_a_deflate_policy_the_server_declines_compression()
    {
        var (result, response) = await ServeAsync(ValidRequest.Replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"));
        Assert.True(result.IsAccepted);
        Assert.Null(result.PerMessageDeflate);
        Assert.Null(result.Subprotocol);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", response);
        Assert.DoesNotContain("Sec-WebSocket-Protocol", response);
    }

    [Fact]
    public async Task Section_4_2_2_a_policy_choosing_an_unoffered_subprotocol_gets_500_and_the_server_an_exception()
    {
        var (server, client) = Pair();
        await client.Output.WriteAsync(Encoding.Latin1.GetBytes(ValidRequest));
        await Assert.ThrowsAsync<ArgumentException>(() => PipeHandshake.AcceptAsync(server, _ => ServerHandshakeDecision.Accept("v2")).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        await server.Output.CompleteAsync();
        string response = await ReadAllAsync(client.Input);
        Assert.StartsWith("HTTP/1.1 500 ", response);
        Assert.DoesNotContain("v2", response);
        Assert.DoesNotContain("Sec-WebSocket-Accept", response);
    }

    /// <summary>Runs <see cref="PipeHandshake.ConnectAsync"/> against a server that answers <paramref name="answer"/> (for the RFC sample key's request, any key).</summary>
    private static async Task<ClientHandshakeResult> ConnectToAsync(Func<HandshakeRequest, string> answer, ClientUpgradeRequest request)
    {
        var (server, client) = Pair();
        Task<ClientHandshakeResult> connecting = PipeHandshake.ConnectAsync(client, request).AsTask();
        var reader = new HandshakeRequestReader();
        while (true)
        {
            ReadResult r = await server.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            HandshakeReadStatus status = reader.Read(r.Buffer.ToArray(), out int consumed);
            server.Input.AdvanceTo(r.Buffer.GetPosition(consumed), r.Buffer.End);
            if (status == HandshakeReadStatus.Done) break;
            Assert.Equal(HandshakeReadStatus.NeedMoreData, status);
        }
        HandshakeRequest sent = reader.Request!;
        string accept = ServerHandshake.CreateResponse(sent, ServerHandshakeDecision.Accept()).Accept!;
        await server.Output.WriteAsync(Encoding.Latin1.GetBytes(answer(sent).Replace("{accept}", accept)));
        return await connecting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static string Answer(string extraHeaders) =>
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n" + extraHeaders + "\r\n";

    [Theory]
    [InlineData("Sec-WebSocket-Extensions: x-custom\r\n", true, HandshakeResponseError.ExtensionNotOffered)]
    [InlineData("Sec-WebSocket-Extensions: permessage-deflate\r\n", false, HandshakeResponseError.ExtensionNotOffered)]
    [InlineData("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=16\r\n", true, HandshakeResponseError.InvalidPerMessageDeflateAnswer)]
    [InlineData("Sec-WebSocket-Extensions: permessage-deflate; foo\r\n", true, HandshakeResponseError.InvalidPerMessageDeflateAnswer)]
    [InlineData("Sec-WebSocket-Extensions: permessage-deflate;;\r\n", true, HandshakeResponseError.MalformedExtensions)]
    [InlineData("Sec-WebSocket-Protocol: v3\r\n", true, HandshakeResponseError.SubprotocolNotOffered)]
    public async Task Section_4_1_ConnectAsync_fails_on_an_answer_the_client_did_not_ask_for(string headers, bool offerDeflate, HandshakeResponseError error)
    {
        ClientHandshakeResult result = await ConnectToAsync(_ => Answer(headers),
            new ClientUpgradeRequest { Host = "localhost:1", Subprotocols = ["v1", "v2"], PerMessageDeflate = offerDeflate ? Deflate : null });
        Assert.False(result.IsAccepted);
        Assert.Equal(error, result.Error);
        Assert.Equal(101, result.StatusCode);
        Assert.Null(result.PerMessageDeflate);
        Assert.Null(result.Subprotocol);
    }

    [Fact]
    public async Task ConnectAsync_yields_the_agreed_deflate_parameters_and_subprotocol()
    {
        ClientHandshakeResult result = await ConnectToAsync(_ => Answer("Sec-WebSocket-Protocol: v2\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=9\r\n"),
            new ClientUpgradeRequest { Host = "localhost:1", Subprotocols = ["v1", "v2"], PerMessageDeflate = Deflate });
        Assert.True(result.IsAccepted);
        Assert.Equal("v2", result.Subprotocol);
        Assert.Equal(new PerMessageDeflateParameters(15, true, 9, false), result.PerMessageDeflate);
    }

    [Fact]
    public async Task Client_and_server_agree_on_permessage_deflate_through_pipes()
    {
        var (server, client) = Pair();
        var serverPolicy = new PerMessageDeflateOptions { Enabled = true, ServerNoContextTakeover = true, ClientMaxWindowBits = 12 };
        Task<ServerHandshakeResult> accepting = PipeHandshake.AcceptAsync(server, r => ServerHandshakeDecision.Accept("v2"), perMessageDeflate: serverPolicy).AsTask();
        ClientHandshakeResult connected = await PipeHandshake.ConnectAsync(client,
            new ClientUpgradeRequest { Host = "localhost:1", Subprotocols = ["v1", "v2"], PerMessageDeflate = Deflate }).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        ServerHandshakeResult accepted = await accepting;
        Assert.True(connected.IsAccepted);
        Assert.Equal(new PerMessageDeflateParameters(15, true, 12, false), accepted.PerMessageDeflate);
        Assert.Equal(accepted.PerMessageDeflate, connected.PerMessageDeflate);
        Assert.Equal("v2", connected.Subprotocol);
        Assert.Equal("v2", accepted.Subprotocol);
    }
}
