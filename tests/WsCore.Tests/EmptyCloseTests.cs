using System.Buffers;
using System.Net.WebSockets;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Interop;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>RFC 6455 §5.5.1: a close frame may have no body; the receiver then sees 1005 (no status received, §7.4.1).</summary>
public class EmptyCloseTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(WebSocketRole.Server)]
    [InlineData(WebSocketRole.Client)]
    public void Section_5_5_1_WriteClose_without_a_code_writes_an_empty_close_frame(WebSocketRole role)
    {
        var h = new Harness(role);
        Assert.Equal(SendStatus.Done, h.Protocol.WriteClose(h.Output));
        Assert.Equal(CloseHandshakeState.CloseSent, h.Protocol.State);
        ParsedFrame frame = Assert.Single(h.Drain());
        Assert.Equal(WebSocketOpcode.Close, frame.Opcode);
        Assert.True(frame.Fin);
        Assert.Empty(frame.Payload);
        Assert.Equal(role == WebSocketRole.Client, frame.Masked);
        // Once only, whichever overload.
        Assert.Equal(SendStatus.Closed, h.Protocol.WriteClose(h.Output));
        Assert.Equal(SendStatus.Closed, h.Protocol.WriteClose(h.Output, 1000, default));
        // The peer's answer completes the handshake.
        h.Feed(Wire.To(role, 8, Wire.ClosePayload(1000)));
        Assert.Equal(CloseHandshakeState.Closed, h.Protocol.State);
    }

    [Fact]
    public void Section_5_5_1_An_empty_close_answers_the_peers_close_when_auto_reply_is_off()
    {
        var h = new Harness(WebSocketRole.Server, new WebSocketProtocolOptions { AutoCloseReply = false });
        h.Feed(Wire.Client(8, Wire.ClosePayload(1001)));
        Assert.Equal(CloseHandshakeState.CloseReceived, h.Protocol.State);
        Assert.Equal(SendStatus.Done, h.Protocol.WriteClose(h.Output));
        Assert.Equal(CloseHandshakeState.Closed, h.Protocol.State);
        Assert.Empty(h.DrainClose().Payload);
    }

    [Fact]
    public void Section_7_4_1_The_receiving_engine_reports_an_empty_close_as_1005()
    {
        var sender = new Harness(WebSocketRole.Client);
        Assert.Equal(SendStatus.Done, sender.Protocol.WriteClose(sender.Output));
        var receiver = new Harness(WebSocketRole.Server).Feed(sender.Output.WrittenSpan.ToArray());
        Assert.Equal(CloseCodes.NoStatusReceived, Assert.Single(receiver.Events).Code);
        Assert.Empty(receiver.DrainClose().Payload); // answered with an empty close too
    }

    [Fact]
    public async Task Connection_CloseAsync_without_a_code_completes_the_handshake()
    {
        var (server, client) = WebSocketConnectionTests.CreatePair();
        Task<ConnectionReceiveResult> serverReceive = server.ReceiveAsync(new byte[16]).AsTask();
        Assert.Equal(SendStatus.Done, await client.CloseAsync().AsTask().WaitAsync(Wait));
        ConnectionReceiveResult r = await serverReceive.WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
        Assert.Equal(CloseCodes.NoStatusReceived, r.CloseCode);
        Assert.Equal(CloseHandshakeState.Closed, client.State);
        Assert.Equal(CloseCodes.NoStatusReceived, client.PeerCloseCode); // the auto-reply echoed the empty close
        Assert.Equal(SendStatus.Closed, await client.CloseOutputAsync());
    }

    [Fact]
    public async Task Connection_CloseOutputAsync_without_a_code_answers_the_peer()
    {
        var noAutoReply = new WebSocketConnectionOptions { Protocol = new WebSocketProtocolOptions { AutoCloseReply = false } };
        var (server, client) = WebSocketConnectionTests.CreatePair(serverOptions: noAutoReply);
        Task<ConnectionReceiveResult> serverReceive = server.ReceiveAsync(new byte[16]).AsTask();
        Assert.Equal(SendStatus.Done, await client.CloseOutputAsync(4000, "x"u8.ToArray()).AsTask().WaitAsync(Wait));
        Assert.Equal(4000, (await serverReceive.WaitAsync(Wait)).CloseCode);
        Assert.Equal(CloseHandshakeState.CloseReceived, server.State);
        Assert.Equal(SendStatus.Done, await server.CloseOutputAsync().AsTask().WaitAsync(Wait));
        Assert.Equal(CloseHandshakeState.Closed, server.State);
        ConnectionReceiveResult c = await client.ReceiveAsync(new byte[16]).AsTask().WaitAsync(Wait);
        Assert.Equal(ConnectionReceiveKind.Close, c.Kind);
        Assert.Equal(CloseCodes.NoStatusReceived, c.CloseCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WsCoreWebSocket_sends_WebSocketCloseStatus_Empty_as_a_close_frame_without_a_body(bool isServer)
    {
        var toSubject = new System.IO.Pipelines.Pipe();
        var toPeer = new System.IO.Pipelines.Pipe();
        using var subject = new WsCoreWebSocket(new DuplexPipe(toSubject.Reader, toPeer.Writer), isServer ? WebSocketRole.Server : WebSocketRole.Client);
        await subject.CloseOutputAsync(WebSocketCloseStatus.Empty, null, default).WaitAsync(Wait);
        Assert.Equal(WebSocketState.CloseSent, subject.State);
        System.IO.Pipelines.ReadResult read = await toPeer.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        byte[] bytes = read.Buffer.ToArray();
        Assert.Equal(isServer ? 2 : 6, bytes.Length); // header (+ mask key), no payload
        Assert.Equal(0x88, bytes[0]);
        Assert.Equal(isServer ? 0x00 : 0x80, bytes[1]);
    }
}
