using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

public class WebSocketConnectionTests
{

    internal static (WebSocketConnection server, WebSocketConnection client) CreatePair(WebSocketConnectionOptions? serverOptions = null, WebSocketConnectionOptions? clientOptions = null)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, serverOptions);
        var client = new WebSocketConnection(new DuplexPipe(toClient.Reader, toServer.Writer), WebSocketRole.Client, clientOptions);
        return (server, client);
    }

    private static async Task<(MessageKind type, byte[] data)> ReceiveMessageAsync(WebSocketConnection c, int bufferSize = 1024)
    {
        var buffer = new byte[bufferSize];
        var all = new MemoryStream();
        while (true)
        {
            ConnectionReceiveResult r = await c.ReceiveAsync(buffer);
            Assert.Equal(ConnectionReceiveKind.MessageData, r.Kind);
            all.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (r.MessageKind, all.ToArray());
        }
    }

    [Fact]
    public async Task Text_message_travels_client_to_server_and_back()
    {
        var (server, client) = CreatePair();
        byte[] hello = Encoding.UTF8.GetBytes("héllo wörld");
        Assert.Equal(SendStatus.Done, await client.SendAsync(hello, MessageKind.Text));
        var (type, data) = await ReceiveMessageAsync(server);
        Assert.Equal(MessageKind.Text, type);
        Assert.Equal(hello, data);
        Assert.Equal(SendStatus.Done, await server.SendAsync(data, MessageKind.Text));
        var (type2, data2) = await ReceiveMessageAsync(client);
        Assert.Equal(MessageKind.Text, type2);
        Assert.Equal(hello, data2);
    }

    [Fact]
    public async Task A_16_MiB_binary_message_streams_through_a_small_buffer()
    {
        var (server, client) = CreatePair();
        byte[] big = new byte[16 * 1024 * 1024];
        new Random(42).NextBytes(big);
        Task send = client.SendAsync(big, MessageKind.Binary).AsTask();
        var (type, data) = await ReceiveMessageAsync(server, 64 * 1024);
        await send;
        Assert.Equal(MessageKind.Binary, type);
        Assert.True(big.AsSpan().SequenceEqual(data));
    }

    [Fact]
    public async Task Fragmented_message_with_interleaved_ping_is_reassembled_and_ping_answered()
    {
        var (server, client) = CreatePair();
        await client.SendAsync("frag"u8.ToArray(), MessageKind.Text, endOfMessage: false);
        await client.PingAsync("p"u8.ToArray());
        await client.SendAsync("ment"u8.ToArray(), MessageKind.Text, endOfMessage: true);
        var (_, data) = await ReceiveMessageAsync(server);
        Assert.Equal("fragment", Encoding.UTF8.GetString(data));
        // The server answered the ping: the client sees the pong (skipped) and then the server's message.
        await server.SendAsync("after"u8.ToArray(), MessageKind.Text);
        var (_, data2) = await ReceiveMessageAsync(client);
        Assert.Equal("after", Encoding.UTF8.GetString(data2));
    }

    [Fact]
    public async Task Client_initiated_close_completes_on_both_sides()
    {
        var (server, client) = CreatePair();
        Task<SendStatus> closing = client.CloseAsync(CloseCodes.NormalClosure, "bye"u8.ToArray()).AsTask();
        var buffer = new byte[16];
        ConnectionReceiveResult r = await server.ReceiveAsync(buffer);
        Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
        Assert.Equal(CloseCodes.NormalClosure, r.CloseCode);
        Assert.Equal(CloseHandshakeState.Closed, server.State);
        Assert.Equal(SendStatus.Done, await closing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(CloseHandshakeState.Closed, client.State);
        Assert.Equal(CloseCodes.NormalClosure, client.PeerCloseCode);
        Assert.Equal(SendStatus.Closed, await client.SendAsync("x"u8.ToArray(), MessageKind.Text));
    }

    [Fact]
    public async Task Server_initiated_close_completes_on_both_sides()
    {
        var (server, client) = CreatePair();
        Task<SendStatus> closing = server.CloseAsync(CloseCodes.GoingAway).AsTask();
        var buffer = new byte[16];
        ConnectionReceiveResult r = await client.ReceiveAsync(buffer);
        Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
        Assert.Equal(CloseCodes.GoingAway, r.CloseCode);
        Assert.Equal(SendStatus.Done, await closing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(CloseHandshakeState.Closed, server.State);
    }

    [Fact]
    public async Task Invalid_utf8_from_the_peer_fails_with_1007_and_the_peer_sees_it()
    {
        var (server, client) = CreatePair();
        await client.SendAsync(new byte[] { 0xCE, 0xBA, 0xED, 0xA0, 0x80 }, MessageKind.Text);
        var buffer = new byte[64];
        ConnectionReceiveResult r = await server.ReceiveAsync(buffer);
        Assert.Equal(ConnectionReceiveKind.ProtocolError, r.Kind);
        Assert.Equal(CloseCodes.InvalidPayloadData, r.CloseCode);
        ConnectionReceiveResult c = await client.ReceiveAsync(buffer);
        Assert.Equal(ConnectionReceiveKind.Close, c.Kind);
        Assert.Equal(CloseCodes.InvalidPayloadData, c.CloseCode);
    }

    /// <summary>A server connection whose peer side is raw pipes: the test writes wire bytes and reads what the server sends.</summary>
    private static (WebSocketConnection server, Pipe toServer, Pipe toClient) CreateRawServer(TimeSpan failureDrainQuietPeriod)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var options = new WebSocketConnectionOptions { FailureDrainQuietPeriod = failureDrainQuietPeriod };
        return (new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, options), toServer, toClient);
    }

    [Fact]
    public async Task A_failing_server_reads_what_the_peer_still_sends_before_closing_the_transport()
    {
        // Kestrel-like transports close the socket as soon as the output completes; unread input then makes the kernel
        // reset the connection, which can destroy the close frame. The server must drain first (Autobahn 4.1.5).
        var (server, toServer, toClient) = CreateRawServer(TimeSpan.FromSeconds(30));
        await toServer.Writer.WriteAsync(Wire.Concat(Wire.Client(1, Wire.Utf8("ok")), Wire.Client(7, Wire.Utf8("bad"))));
        var buffer = new byte[64];
        ConnectionReceiveResult first = await server.ReceiveAsync(buffer);
        Assert.Equal(ConnectionReceiveKind.MessageData, first.Kind);
        Task<ConnectionReceiveResult> failing = server.ReceiveAsync(buffer).AsTask();

        ReadResult written = await toClient.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        ParsedFrame close = Assert.Single(Wire.ParseFrames(written.Buffer.ToArray()));
        Assert.Equal(WebSocketOpcode.Close, close.Opcode);
        Assert.Equal(CloseCodes.ProtocolError, close.CloseCode);
        Assert.False(written.IsCompleted);
        toClient.Reader.AdvanceTo(written.Buffer.End);

        // The peer's ping (sent before it saw the close) and its close reply are still read, and the output stays open.
        await toServer.Writer.WriteAsync(Wire.Client(9, Wire.Utf8("p")));
        await toServer.Writer.WriteAsync(Wire.Client(8, Wire.ClosePayload(CloseCodes.ProtocolError)));
        await Task.Delay(200);
        Assert.False(failing.IsCompleted);
        Assert.False(toClient.Reader.TryRead(out _));

        // The peer closes its side: the server finishes and closes the transport.
        toServer.Writer.Complete();
        ConnectionReceiveResult r = await failing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ConnectionReceiveKind.ProtocolError, r.Kind);
        Assert.Equal(CloseCodes.ProtocolError, r.CloseCode);
        ReadResult end = await toClient.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(end.IsCompleted);
        Assert.True(end.Buffer.IsEmpty);
    }

    [Fact]
    public async Task A_failing_server_closes_the_transport_once_the_peer_goes_quiet()
    {
        var (server, toServer, toClient) = CreateRawServer(TimeSpan.FromMilliseconds(50));
        await toServer.Writer.WriteAsync(Wire.Client(3, Wire.Utf8("bad")));
        ConnectionReceiveResult r = await server.ReceiveAsync(new byte[64]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ConnectionReceiveKind.ProtocolError, r.Kind);
        ReadResult all = await toClient.Reader.ReadAsync();
        while (!all.IsCompleted)
        {
            toClient.Reader.AdvanceTo(all.Buffer.Start, all.Buffer.End);
            all = await toClient.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.Equal(CloseCodes.ProtocolError, Assert.Single(Wire.ParseFrames(all.Buffer.ToArray())).CloseCode);
    }

    [Fact]
    public async Task A_failing_server_without_a_drain_period_closes_at_once()
    {
        var (server, toServer, toClient) = CreateRawServer(TimeSpan.Zero);
        await toServer.Writer.WriteAsync(Wire.Client(3, Wire.Utf8("bad")));
        ConnectionReceiveResult r = await server.ReceiveAsync(new byte[64]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ConnectionReceiveKind.ProtocolError, r.Kind);
        ReadResult all = await toClient.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(all.IsCompleted);
    }

    [Fact]
    public async Task Abort_ends_a_pending_receive()
    {
        var (server, _) = CreatePair();
        var buffer = new byte[16];
        Task<ConnectionReceiveResult> pending = server.ReceiveAsync(buffer).AsTask();
        server.Abort();
        ConnectionReceiveResult r = await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ConnectionReceiveKind.Aborted, r.Kind);
        Assert.Equal(CloseCodes.AbnormalClosure, r.CloseCode);
    }
}
