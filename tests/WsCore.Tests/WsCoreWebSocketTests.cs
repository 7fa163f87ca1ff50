using WsCore.Framing;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using WsCore.Interop;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// The same scenarios against the runtime's ManagedWebSocket (WebSocket.CreateFromStream) and WsCoreWebSocket, each as
/// the endpoint under test ("subject", server or client role), with the same assertions: what one passes, the other must.
/// The peer is always a ManagedWebSocket of the other role, or raw bytes for protocol errors.
/// </summary>
public class WsCoreWebSocketTests
{
    public enum Impl { Managed, WsCore }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public static TheoryData<Impl, bool> Subjects => new()
    {
        { Impl.Managed, true }, { Impl.Managed, false }, { Impl.WsCore, true }, { Impl.WsCore, false },
    };

    /// <summary>One end of an in-memory connected stream pair: reads one pipe, writes the other.</summary>
    private sealed class DuplexStream(PipeReader input, PipeWriter output) : Stream
    {
        private readonly Stream _in = input.AsStream();
        private readonly Stream _out = output.AsStream();
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => _out.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _out.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => _in.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _in.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _in.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => _out.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _out.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _out.WriteAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // Like a socket: a pending read fails when the stream is disposed.
                input.CancelPendingRead();
                _out.Dispose();
                _in.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    private static (Stream a, Stream b) StreamPair()
    {
        var ab = new Pipe();
        var ba = new Pipe();
        return (new DuplexStream(ba.Reader, ab.Writer), new DuplexStream(ab.Reader, ba.Writer));
    }

    private static WebSocket Create(Impl impl, Stream stream, bool isServer, string? subProtocol = null, TimeSpan? keepAlive = null, TimeSpan? keepAliveTimeout = null)
    {
        if (impl == Impl.Managed)
        {
            return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
            {
                IsServer = isServer,
                SubProtocol = subProtocol,
                KeepAliveInterval = keepAlive ?? TimeSpan.Zero,
                KeepAliveTimeout = keepAliveTimeout ?? Timeout.InfiniteTimeSpan,
            });
        }
        return new WsCoreWebSocket(stream, isServer ? WebSocketRole.Server : WebSocketRole.Client, subProtocol);
    }

    /// <summary>The subject (implementation under test) and a ManagedWebSocket peer of the other role.</summary>
    private static (WebSocket subject, WebSocket peer) Pair(Impl impl, bool subjectIsServer, string? subProtocol = null)
    {
        var (a, b) = StreamPair();
        return (Create(impl, a, subjectIsServer, subProtocol), Create(Impl.Managed, b, !subjectIsServer, subProtocol));
    }

    /// <summary>The subject and the raw stream of its peer (for hand-made frames).</summary>
    private static (WebSocket subject, Stream raw) RawPair(Impl impl, bool subjectIsServer)
    {
        var (a, b) = StreamPair();
        return (Create(impl, a, subjectIsServer), b);
    }

    private static async Task<(WebSocketMessageType type, byte[] data, int receives)> ReceiveMessageAsync(WebSocket ws, int bufferSize = 4096)
    {
        var buffer = new byte[bufferSize];
        var all = new MemoryStream();
        int receives = 0;
        while (true)
        {
            ValueWebSocketReceiveResult r = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).AsTask().WaitAsync(Wait);
            receives++;
            all.Write(buffer, 0, r.Count);
            if (r.MessageType == WebSocketMessageType.Close || r.EndOfMessage) return (r.MessageType, all.ToArray(), receives);
        }
    }

    /// <summary>A frame as a peer of the subject would send it: masked when the subject is a server (§5.3).</summary>
    private static byte[] Frame(byte firstByte, byte[] payload, bool masked)
    {
        var f = new List<byte> { firstByte };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        if (payload.Length < 126) f.Add((byte)(maskBit | payload.Length));
        else { f.Add((byte)(maskBit | 126)); f.Add((byte)(payload.Length >> 8)); f.Add((byte)payload.Length); }
        byte[] key = [0x12, 0x34, 0x56, 0x78];
        if (masked) f.AddRange(key);
        for (int i = 0; i < payload.Length; i++) f.Add(masked ? (byte)(payload[i] ^ key[i & 3]) : payload[i]);
        return f.ToArray();
    }

    /// <summary>Reads the subject's close frame carrying a code and no reason, and returns the code.</summary>
    private static async Task<int> ReadCloseCodeAsync(Stream raw, bool subjectIsServer)
    {
        byte[] frame = new byte[subjectIsServer ? 4 : 8];
        await raw.ReadExactlyAsync(frame).AsTask().WaitAsync(Wait);
        Assert.Equal(0x88, frame[0]);
        Assert.Equal(subjectIsServer ? 0x02 : 0x82, frame[1]);
        if (subjectIsServer) return (frame[2] << 8) | frame[3];
        return ((frame[6] ^ frame[2]) << 8) | (frame[7] ^ frame[3]);
    }

    // ---------------------------------------------------------------- scenarios

    [Theory, MemberData(nameof(Subjects))]
    public async Task Text_message_both_ways_with_ArraySegment_and_Memory_overloads(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        byte[] hello = Encoding.UTF8.GetBytes("héllo wörld ✓");
        await peer.SendAsync(new ArraySegment<byte>(hello), WebSocketMessageType.Text, true, default);

        var buffer = new byte[100];
        WebSocketReceiveResult r = await subject.ReceiveAsync(new ArraySegment<byte>(buffer), default).WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Text, r.MessageType);
        Assert.True(r.EndOfMessage);
        Assert.Equal(hello.Length, r.Count);
        Assert.Null(r.CloseStatus);
        Assert.Null(r.CloseStatusDescription);
        Assert.Equal(hello, buffer[..r.Count]);

        await subject.SendAsync(hello.AsMemory(), WebSocketMessageType.Text, true, default);
        var (type, data, _) = await ReceiveMessageAsync(peer);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(hello, data);
        Assert.Equal(WebSocketState.Open, subject.State);
        Assert.Null(subject.CloseStatus);
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Binary_fragments_sent_with_message_flags_arrive_as_one_message(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        await subject.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, WebSocketMessageFlags.None, default);
        // The continuation's type is ignored, as in the runtime's implementation.
        await subject.SendAsync(new byte[] { 4, 5 }, WebSocketMessageType.Text, WebSocketMessageFlags.EndOfMessage, default);
        await subject.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Binary, WebSocketMessageFlags.EndOfMessage, default);

        var buffer = new byte[16];
        ValueWebSocketReceiveResult a = await peer.ReceiveAsync(buffer.AsMemory(), default);
        Assert.Equal((3, WebSocketMessageType.Binary, false), (a.Count, a.MessageType, a.EndOfMessage));
        ValueWebSocketReceiveResult b = await peer.ReceiveAsync(buffer.AsMemory(3), default);
        Assert.Equal((2, WebSocketMessageType.Binary, true), (b.Count, b.MessageType, b.EndOfMessage));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, buffer[..5]);
        ValueWebSocketReceiveResult c = await peer.ReceiveAsync(buffer.AsMemory(), default);
        Assert.Equal((0, WebSocketMessageType.Binary, true), (c.Count, c.MessageType, c.EndOfMessage));
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Fragmented_message_is_received_fragment_by_fragment_and_by_buffer_size(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        await peer.SendAsync("frag"u8.ToArray(), WebSocketMessageType.Text, false, default);
        await peer.SendAsync("men"u8.ToArray(), WebSocketMessageType.Text, false, default);
        await peer.SendAsync("t!"u8.ToArray(), WebSocketMessageType.Text, true, default);

        var transcript = new List<(int, WebSocketMessageType, bool)>();
        var buffer = new byte[3];
        var all = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult r = await subject.ReceiveAsync(buffer.AsMemory(), default).AsTask().WaitAsync(Wait);
            transcript.Add((r.Count, r.MessageType, r.EndOfMessage));
            all.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) break;
        }
        Assert.Equal("fragment!", Encoding.UTF8.GetString(all.ToArray()));
        Assert.Equal(
            [(3, WebSocketMessageType.Text, false), (1, WebSocketMessageType.Text, false), (3, WebSocketMessageType.Text, false), (2, WebSocketMessageType.Text, true)],
            transcript);
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Zero_byte_receive_reports_the_message_type_without_consuming_data(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        await peer.SendAsync("abc"u8.ToArray(), WebSocketMessageType.Text, true, default);
        ValueWebSocketReceiveResult z = await subject.ReceiveAsync(Memory<byte>.Empty, default).AsTask().WaitAsync(Wait);
        Assert.Equal((0, WebSocketMessageType.Text, false), (z.Count, z.MessageType, z.EndOfMessage));
        var buffer = new byte[16];
        ValueWebSocketReceiveResult r = await subject.ReceiveAsync(buffer.AsMemory(), default).AsTask().WaitAsync(Wait);
        Assert.Equal((3, WebSocketMessageType.Text, true), (r.Count, r.MessageType, r.EndOfMessage));
        Assert.Equal("abc", Encoding.UTF8.GetString(buffer, 0, 3));
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task A_16_MiB_message_streams_both_ways(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        byte[] big = new byte[16 * 1024 * 1024];
        new Random(7).NextBytes(big);

        Task send = peer.SendAsync(big, WebSocketMessageType.Binary, true, default);
        var (type, data, _) = await ReceiveMessageAsync(subject, 64 * 1024);
        await send.WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.True(big.AsSpan().SequenceEqual(data));

        Task back = subject.SendAsync(big, WebSocketMessageType.Binary, true, default);
        var (type2, data2, _) = await ReceiveMessageAsync(peer, 64 * 1024);
        await back.WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Binary, type2);
        Assert.True(big.AsSpan().SequenceEqual(data2));
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Keep_alive_pings_from_a_ManagedWebSocket_peer_are_answered(Impl impl, bool subjectIsServer)
    {
        var (a, b) = StreamPair();
        WebSocket subject = Create(impl, a, subjectIsServer);
        // The peer pings every 20 ms and aborts when a pong does not come back within 2 s (KeepAliveTimeout, .NET 9+).
        WebSocket peer = Create(Impl.Managed, b, !subjectIsServer, keepAlive: TimeSpan.FromMilliseconds(20), keepAliveTimeout: TimeSpan.FromSeconds(2));
        Task<(WebSocketMessageType, byte[], int)> subjectReceive = ReceiveMessageAsync(subject);
        Task<(WebSocketMessageType, byte[], int)> peerReceive = ReceiveMessageAsync(peer);

        await Task.Delay(TimeSpan.FromMilliseconds(400)); // ~20 pings from the peer's real timer
        Assert.Equal(WebSocketState.Open, peer.State);
        Assert.Equal(WebSocketState.Open, subject.State);
        Assert.False(subjectReceive.IsCompleted); // pings are invisible to the application

        await peer.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Text, true, default);
        var (_, data, _) = await subjectReceive;
        Assert.Equal("still here", Encoding.UTF8.GetString(data));
        await subject.SendAsync("me too"u8.ToArray(), WebSocketMessageType.Text, true, default);
        var (_, data2, _) = await peerReceive.WaitAsync(Wait);
        Assert.Equal("me too", Encoding.UTF8.GetString(data2));
        Assert.Equal(WebSocketState.Open, peer.State);
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Subject_initiated_CloseAsync_completes_the_handshake(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        Task closing = subject.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", default);

        var buffer = new byte[16];
        WebSocketReceiveResult r = await peer.ReceiveAsync(new ArraySegment<byte>(buffer), default).WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, r.CloseStatus);
        Assert.Equal("bye", r.CloseStatusDescription);
        Assert.Equal(WebSocketState.CloseReceived, peer.State);
        await peer.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ok", default).WaitAsync(Wait);
        Assert.Equal(WebSocketState.Closed, peer.State);

        await closing.WaitAsync(Wait);
        Assert.Equal(WebSocketState.Closed, subject.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, subject.CloseStatus);
        Assert.Equal("ok", subject.CloseStatusDescription);

        WebSocketException send = await Assert.ThrowsAsync<WebSocketException>(() => subject.SendAsync(new byte[1], WebSocketMessageType.Binary, true, default));
        Assert.Equal(WebSocketError.InvalidState, send.WebSocketErrorCode);
        WebSocketException receive = await Assert.ThrowsAsync<WebSocketException>(() => subject.ReceiveAsync(new ArraySegment<byte>(buffer), default));
        Assert.Equal(WebSocketError.InvalidState, receive.WebSocketErrorCode);
        await Assert.ThrowsAsync<WebSocketException>(() => subject.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default));
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task CloseAsync_while_an_application_receive_is_pending(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        Task<ValueWebSocketReceiveResult> pending = subject.ReceiveAsync(new byte[16].AsMemory(), default).AsTask();
        Task closing = subject.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", default);

        var (type, _, _) = await ReceiveMessageAsync(peer);
        Assert.Equal(WebSocketMessageType.Close, type);
        await peer.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ack", default).WaitAsync(Wait);

        ValueWebSocketReceiveResult r = await pending.WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
        await closing.WaitAsync(Wait);
        Assert.Equal(WebSocketState.Closed, subject.State);
        Assert.Equal("ack", subject.CloseStatusDescription);
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Peer_initiated_close_leaves_the_reply_to_the_application(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        Task peerClosing = peer.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "going", default);

        var buffer = new byte[16];
        ValueWebSocketReceiveResult r = await subject.ReceiveAsync(buffer.AsMemory(), default).AsTask().WaitAsync(Wait);
        Assert.Equal((0, WebSocketMessageType.Close, true), (r.Count, r.MessageType, r.EndOfMessage));
        Assert.Equal(WebSocketState.CloseReceived, subject.State);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, subject.CloseStatus);
        Assert.Equal("going", subject.CloseStatusDescription);
        Assert.False(peerClosing.IsCompleted);

        // Receiving again in CloseReceived is a state error; sending is still allowed.
        WebSocketException again = await Assert.ThrowsAsync<WebSocketException>(async () => await subject.ReceiveAsync(buffer.AsMemory(), default));
        Assert.Equal(WebSocketError.InvalidState, again.WebSocketErrorCode);
        await subject.SendAsync("last words"u8.ToArray(), WebSocketMessageType.Text, true, default);

        await subject.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default).WaitAsync(Wait);
        Assert.Equal(WebSocketState.Closed, subject.State);
        await peerClosing.WaitAsync(Wait);
        Assert.Equal(WebSocketState.Closed, peer.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, peer.CloseStatus);
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task CloseOutputAsync_then_receive_sees_remaining_data_then_the_close(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        await subject.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done sending", default).WaitAsync(Wait);
        Assert.Equal(WebSocketState.CloseSent, subject.State);
        WebSocketException send = await Assert.ThrowsAsync<WebSocketException>(() => subject.SendAsync(new byte[1], WebSocketMessageType.Binary, true, default));
        Assert.Equal(WebSocketError.InvalidState, send.WebSocketErrorCode);

        // The peer still sends a message before it closes.
        await peer.SendAsync("tail"u8.ToArray(), WebSocketMessageType.Text, true, default);
        var buffer = new byte[16];
        ValueWebSocketReceiveResult r = await subject.ReceiveAsync(buffer.AsMemory(), default).AsTask().WaitAsync(Wait);
        Assert.Equal((4, WebSocketMessageType.Text, true), (r.Count, r.MessageType, r.EndOfMessage));

        var (type, _, _) = await ReceiveMessageAsync(peer);
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal("done sending", peer.CloseStatusDescription);
        await peer.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "no", default);

        ValueWebSocketReceiveResult c = await subject.ReceiveAsync(buffer.AsMemory(), default).AsTask().WaitAsync(Wait);
        Assert.Equal((0, WebSocketMessageType.Close, true), (c.Count, c.MessageType, c.EndOfMessage));
        Assert.Equal(WebSocketState.Closed, subject.State);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, subject.CloseStatus);
        Assert.Equal("no", subject.CloseStatusDescription);
        // CloseAsync in Closed is a state error.
        await Assert.ThrowsAsync<WebSocketException>(() => subject.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default));
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Abort_cancels_a_pending_receive_and_the_peer_sees_a_premature_close(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        Task<ValueWebSocketReceiveResult> pending = subject.ReceiveAsync(new byte[16].AsMemory(), default).AsTask();
        Task<ValueWebSocketReceiveResult> peerPending = peer.ReceiveAsync(new byte[16].AsMemory(), default).AsTask();
        subject.Abort();
        Assert.Equal(WebSocketState.Aborted, subject.State);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Wait));
        Assert.Equal(WebSocketState.Aborted, subject.State);
        Assert.Null(subject.CloseStatus);

        WebSocketException e = await Assert.ThrowsAsync<WebSocketException>(() => peerPending.WaitAsync(Wait));
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, e.WebSocketErrorCode);
        Assert.Equal(WebSocketState.Aborted, peer.State);

        WebSocketException after = await Assert.ThrowsAsync<WebSocketException>(async () => await subject.ReceiveAsync(new byte[16].AsMemory(), default));
        Assert.Equal(WebSocketError.InvalidState, after.WebSocketErrorCode);
        subject.Abort();
        subject.Dispose();
        Assert.Equal(WebSocketState.Aborted, subject.State);
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Peer_abort_fails_a_pending_receive_with_ConnectionClosedPrematurely(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        Task<ValueWebSocketReceiveResult> pending = subject.ReceiveAsync(new byte[16].AsMemory(), default).AsTask();
        peer.Abort();
        WebSocketException e = await Assert.ThrowsAsync<WebSocketException>(() => pending.WaitAsync(Wait));
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, e.WebSocketErrorCode);
        Assert.Equal(WebSocketState.Aborted, subject.State);
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Cancelling_a_receive_aborts_the_websocket(Impl impl, bool subjectIsServer)
    {
        var (subject, _) = Pair(impl, subjectIsServer);
        using var cts = new CancellationTokenSource();
        Task<ValueWebSocketReceiveResult> pending = subject.ReceiveAsync(new byte[16].AsMemory(), cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Wait));
        Assert.Equal(WebSocketState.Aborted, subject.State);
    }

    [Theory]
    [InlineData(Impl.Managed, true, 0x83, "")]          // reserved opcode 3 (§5.2)
    [InlineData(Impl.WsCore, true, 0x83, "")]
    [InlineData(Impl.Managed, false, 0x83, "")]
    [InlineData(Impl.WsCore, false, 0x83, "")]
    [InlineData(Impl.Managed, true, 0x09, "")]          // fragmented ping (§5.5)
    [InlineData(Impl.WsCore, true, 0x09, "")]
    [InlineData(Impl.Managed, false, 0x80, "")]         // continuation without a message (§5.4)
    [InlineData(Impl.WsCore, false, 0x80, "")]
    [InlineData(Impl.Managed, true, 0xC1, "x")]         // RSV1 without an extension (§5.2)
    [InlineData(Impl.WsCore, true, 0xC1, "x")]
    public async Task Peer_protocol_error_fails_with_1002_and_Faulted(Impl impl, bool subjectIsServer, int firstByte, string payload)
    {
        var (subject, raw) = RawPair(impl, subjectIsServer);
        await raw.WriteAsync(Frame((byte)firstByte, Encoding.UTF8.GetBytes(payload), masked: subjectIsServer));
        await raw.FlushAsync();
        WebSocketException e = await Assert.ThrowsAsync<WebSocketException>(async () => await subject.ReceiveAsync(new byte[16].AsMemory(), default));
        Assert.Equal(WebSocketError.Faulted, e.WebSocketErrorCode);
        Assert.Equal(WebSocketState.Aborted, subject.State);
        Assert.Null(subject.CloseStatus);

        Assert.Equal(1002, await ReadCloseCodeAsync(raw, subjectIsServer));
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Invalid_utf8_text_fails_with_1007_and_Faulted(Impl impl, bool subjectIsServer)
    {
        var (subject, raw) = RawPair(impl, subjectIsServer);
        await raw.WriteAsync(Frame(0x81, [0xCE, 0xBA, 0xED, 0xA0, 0x80], masked: subjectIsServer));
        WebSocketException e = await Assert.ThrowsAsync<WebSocketException>(async () => await subject.ReceiveAsync(new byte[64].AsMemory(), default));
        Assert.Equal(WebSocketError.Faulted, e.WebSocketErrorCode);
        Assert.Equal(WebSocketState.Aborted, subject.State);
        Assert.Equal(1007, await ReadCloseCodeAsync(raw, subjectIsServer));
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Empty_close_frame_reports_NormalClosure_with_an_empty_description(Impl impl, bool subjectIsServer)
    {
        var (subject, raw) = RawPair(impl, subjectIsServer);
        await raw.WriteAsync(Frame(0x88, [], masked: subjectIsServer));
        ValueWebSocketReceiveResult r = await subject.ReceiveAsync(new byte[16].AsMemory(), default).AsTask().WaitAsync(Wait);
        Assert.Equal(WebSocketMessageType.Close, r.MessageType);
        Assert.Equal(WebSocketState.CloseReceived, subject.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, subject.CloseStatus);
        Assert.Equal("", subject.CloseStatusDescription);
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Dispose_closes_and_later_calls_fail_as_in_the_runtime(Impl impl, bool subjectIsServer)
    {
        var (subject, peer) = Pair(impl, subjectIsServer);
        Task<ValueWebSocketReceiveResult> peerPending = peer.ReceiveAsync(new byte[16].AsMemory(), default).AsTask();
        subject.Dispose();
        Assert.Equal(WebSocketState.Closed, subject.State);
        subject.Dispose();
        WebSocketException r = await Assert.ThrowsAsync<WebSocketException>(async () => await subject.ReceiveAsync(new byte[16].AsMemory(), default));
        Assert.Equal(WebSocketError.InvalidState, r.WebSocketErrorCode);
        WebSocketException s = await Assert.ThrowsAsync<WebSocketException>(async () => await subject.SendAsync(new byte[1].AsMemory(), WebSocketMessageType.Binary, true, default));
        Assert.Equal(WebSocketError.InvalidState, s.WebSocketErrorCode);
        WebSocketException p = await Assert.ThrowsAsync<WebSocketException>(() => peerPending.WaitAsync(Wait));
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, p.WebSocketErrorCode);
    }

    [Theory, MemberData(nameof(Subjects))]
    public async Task Misuse_throws_the_same_argument_exceptions(Impl impl, bool subjectIsServer)
    {
        var (subject, _) = Pair(impl, subjectIsServer, subProtocol: "chat.v1");
        Assert.Equal("chat.v1", subject.SubProtocol);
        Assert.Equal(WebSocketState.Open, subject.State);
        ArgumentException t = Assert.Throws<ArgumentException>(() => { _ = subject.SendAsync(new byte[1].AsMemory(), WebSocketMessageType.Close, true, default); });
        Assert.Equal("messageType", t.ParamName);
        Assert.Throws<ArgumentNullException>(() => { _ = subject.SendAsync(default(ArraySegment<byte>), WebSocketMessageType.Binary, true, default); });
        Assert.Throws<ArgumentNullException>(() => { _ = subject.ReceiveAsync(default(ArraySegment<byte>), default); });
        ArgumentException c1 = Assert.Throws<ArgumentException>(() => { _ = subject.CloseAsync((WebSocketCloseStatus)1006, null, default); });
        Assert.Equal("closeStatus", c1.ParamName);
        ArgumentException c2 = Assert.Throws<ArgumentException>(() => { _ = subject.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, new string('a', 124), default); });
        Assert.Equal("statusDescription", c2.ParamName);
        ArgumentException c3 = Assert.Throws<ArgumentException>(() => { _ = subject.CloseAsync(WebSocketCloseStatus.Empty, "why", default); });
        Assert.Equal("statusDescription", c3.ParamName);
        Assert.Equal(WebSocketState.Open, subject.State);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Stream_and_pipe_constructors_interoperate()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        using var server = new WsCoreWebSocket(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server);
        var (a, b) = StreamPair();
        _ = a; _ = b;
        using var client = new WsCoreWebSocket(new DuplexStream(toClient.Reader, toServer.Writer), WebSocketRole.Client);
        await client.SendAsync("ping?"u8.ToArray(), WebSocketMessageType.Text, true, default);
        var (type, data, _) = await ReceiveMessageAsync(server);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("ping?", Encoding.UTF8.GetString(data));
        Assert.IsType<WebSocketConnection>(server.Connection);
    }

}
