using WsCore.Framing;
using System.IO.Pipelines;
using System.Text;
using WsCore.Closing;
using WsCore.Compression;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// The message-level API of <see cref="WebSocketConnection"/>: whole messages into pooled memory (limit, release, resume
/// after cancellation), text from and to strings (non-ASCII, lone surrogates refused), close reasons as strings.
/// </summary>
public class MessageApiTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    // Latin, Greek, Cyrillic, CJK, emoji (surrogate pairs), a zero char and a noncharacter.
    private const string NonAscii = "héllo wörld · κόσμε · привет · 日本語テキスト · 👋🌍🤖 · \u0000\uFFFF end";

    private static (WebSocketConnection server, WebSocketConnection client) CreatePair(
        WebSocketConnectionOptions? options = null, bool compression = false)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        PerMessageDeflateParameters? p = compression ? PerMessageDeflateParameters.Default : null;
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server, options, p);
        var client = new WebSocketConnection(new DuplexPipe(toClient.Reader, toServer.Writer), WebSocketRole.Client, options, p);
        return (server, client);
    }

    private static async Task<ReceivedMessage> Receive(WebSocketConnection c, int? maxBytes = null)
        => await (maxBytes is int max ? c.ReceiveMessageAsync(max) : c.ReceiveMessageAsync()).AsTask().WaitAsync(Bound);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Text_with_non_ASCII_round_trips_as_a_string_both_ways(bool compression)
    {
        var (server, client) = CreatePair(compression: compression);
        Assert.Equal(SendStatus.Done, await client.SendTextAsync(NonAscii));
        using (ReceivedMessage m = await Receive(server))
        {
            Assert.Equal(ConnectionReceiveKind.MessageData, m.Kind);
            Assert.Equal(MessageKind.Text, m.MessageKind);
            Assert.Equal(Encoding.UTF8.GetBytes(NonAscii), m.Data.ToArray());
            Assert.Equal(NonAscii, m.GetText());
            // Echo from a slice of a char buffer.
            char[] chars = ("[" + NonAscii + "]").ToCharArray();
            Assert.Equal(SendStatus.Done, await server.SendTextAsync(chars.AsMemory(1, chars.Length - 2)));
        }
        using ReceivedMessage back = await Receive(client);
        Assert.Equal(NonAscii, back.GetText());
    }

    [Fact]
    public async Task Long_text_is_sent_whole()
    {
        var (server, client) = CreatePair();
        string text = string.Concat(Enumerable.Repeat(NonAscii, 2000)); // > 16 K chars: the exact byte count path
        Task<SendStatus> send = client.SendTextAsync(text).AsTask();
        using ReceivedMessage m = await Receive(server);
        Assert.Equal(SendStatus.Done, await send);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), m.Length);
        Assert.Equal(text, m.GetText());
    }

    // By index: xunit's serialization of theory data would turn a lone surrogate in an InlineData string into U+FFFD.
    private static readonly string[] LoneSurrogates =
    {
        "\uD800",          // a lone high surrogate
        "abc\uDC00def",    // a lone low surrogate inside
        "abc\uD83D",       // a pair cut in half at the end
        "\uDE4B\uD83D",    // a pair in the wrong order
        new string('a', 20_000) + "\uD800", // long text (counted exactly before encoding), lone at the end
    };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Text_with_a_lone_surrogate_is_refused_and_nothing_is_sent(int which)
    {
        string text = LoneSurrogates[which];
        var (server, client) = CreatePair();
        Assert.Equal(SendStatus.InvalidUtf16, await client.SendTextAsync(text));
        Assert.Equal(SendStatus.InvalidUtf16, await client.SendTextAsync(text.AsMemory()));
        Assert.Equal(SendStatus.Done, await client.SendTextAsync("next"));
        using ReceivedMessage m = await Receive(server);
        Assert.Equal("next", m.GetText()); // the refused text never reached the wire
        Assert.Equal(CloseHandshakeState.Open, client.State);
    }

    [Fact]
    public async Task Empty_messages_are_whole_messages()
    {
        var (server, client) = CreatePair();
        Assert.Equal(SendStatus.Done, await client.SendTextAsync(""));
        Assert.Equal(SendStatus.Done, await client.SendAsync(ReadOnlyMemory<byte>.Empty, MessageKind.Binary));
        using (ReceivedMessage text = await Receive(server))
        {
            Assert.Equal((ConnectionReceiveKind.MessageData, MessageKind.Text, 0), (text.Kind, text.MessageKind, text.Length));
            Assert.Equal("", text.GetText());
        }
        using ReceivedMessage binary = await Receive(server);
        Assert.Equal((ConnectionReceiveKind.MessageData, MessageKind.Binary, 0), (binary.Kind, binary.MessageKind, binary.Length));
        Assert.Throws<InvalidOperationException>(() => binary.GetText());
    }

    [Fact]
    public async Task A_large_fragmented_message_arrives_whole_and_its_sequence_is_its_data()
    {
        var (server, client) = CreatePair();
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(7).NextBytes(big);
        Task sending = Task.Run(async () =>
        {
            for (int at = 0; at < big.Length; at += 100_000)
            {
                int n = Math.Min(100_000, big.Length - at);
                Assert.Equal(SendStatus.Done, await client.SendAsync(big.AsMemory(at, n), MessageKind.Binary, at + n == big.Length));
            }
        });
        using ReceivedMessage m = await Receive(server);
        await sending;
        Assert.Equal(MessageKind.Binary, m.MessageKind);
        Assert.True(big.AsSpan().SequenceEqual(m.Data.Span));
        Assert.True(m.Sequence.IsSingleSegment);
        Assert.Equal(big.Length, m.Sequence.Length);
    }

    [Theory]
    [InlineData(1)]     // one frame
    [InlineData(7)]     // fragments
    public async Task A_message_exactly_at_the_limit_is_received(int fragments)
    {
        var (server, client) = CreatePair();
        byte[] message = new byte[10_000];
        new Random(3).NextBytes(message);
        await SendInFragmentsAsync(client, message, fragments);
        using ReceivedMessage m = await Receive(server, maxBytes: message.Length);
        Assert.Equal(ConnectionReceiveKind.MessageData, m.Kind);
        Assert.Equal(message, m.Data.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public async Task A_message_over_the_limit_fails_the_connection_with_1009(int fragments)
    {
        var (server, client) = CreatePair();
        byte[] message = new byte[10_001];
        await SendInFragmentsAsync(client, message, fragments);
        ReceivedMessage m = await Receive(server, maxBytes: message.Length - 1);
        Assert.Equal(ConnectionReceiveKind.ProtocolError, m.Kind);
        Assert.Equal(CloseCodes.MessageTooBig, m.CloseCode);
        Assert.Equal(ProtocolViolation.MessageTooLarge, server.Violation);
        Assert.Equal(0, m.Length);
        Assert.True(m.Data.IsEmpty);
        m.Dispose();

        // The peer sees the close frame with 1009.
        byte[] buffer = new byte[64];
        ConnectionReceiveResult r = await client.ReceiveAsync(buffer).AsTask().WaitAsync(Bound);
        Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
        Assert.Equal(CloseCodes.MessageTooBig, r.CloseCode);
        // And the server is done: a further receive ends at once.
        using ReceivedMessage after = await Receive(server);
        Assert.NotEqual(ConnectionReceiveKind.MessageData, after.Kind);
    }

    [Fact]
    public async Task A_limit_of_zero_accepts_only_empty_messages()
    {
        var (server, client) = CreatePair();
        await client.SendAsync(ReadOnlyMemory<byte>.Empty, MessageKind.Binary);
        await client.SendAsync(new byte[1], MessageKind.Binary);
        using (ReceivedMessage empty = await Receive(server, maxBytes: 0)) Assert.Equal(ConnectionReceiveKind.MessageData, empty.Kind);
        using ReceivedMessage over = await Receive(server, maxBytes: 0);
        Assert.Equal((ConnectionReceiveKind.ProtocolError, CloseCodes.MessageTooBig), (over.Kind, over.CloseCode));
    }

    [Fact]
    public async Task Without_a_limit_the_engines_MaxMessageLength_applies()
    {
        var options = new WebSocketConnectionOptions { Protocol = new WebSocketProtocolOptions { MaxMessageLength = 1000 } };
        var (server, client) = CreatePair(options);
        await client.SendAsync(new byte[1000], MessageKind.Binary);
        await client.SendAsync(new byte[1001], MessageKind.Binary);
        using (ReceivedMessage ok = await Receive(server)) Assert.Equal(1000, ok.Length);
        using ReceivedMessage over = await Receive(server);
        Assert.Equal((ConnectionReceiveKind.ProtocolError, CloseCodes.MessageTooBig), (over.Kind, over.CloseCode));
        Assert.Equal(ProtocolViolation.MessageTooLarge, server.Violation);
    }

    [Fact]
    public async Task A_negative_limit_is_an_argument_error()
    {
        var (server, _) = CreatePair();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await server.ReceiveMessageAsync(-1));
    }

    [Fact]
    public async Task A_disposed_message_cannot_be_read_and_disposing_a_copy_twice_is_harmless()
    {
        var (server, client) = CreatePair();
        await client.SendAsync("first"u8.ToArray(), MessageKind.Binary);
        await client.SendAsync("second"u8.ToArray(), MessageKind.Binary);
        ReceivedMessage first = await Receive(server);
        ReceivedMessage copy = first;
        first.Dispose();
        Assert.Throws<ObjectDisposedException>(() => first.Data);
        Assert.Throws<ObjectDisposedException>(() => copy.Data);
        first.Dispose();

        ReceivedMessage second = await Receive(server); // reuses the storage the first released
        copy.Dispose();                                  // a stale copy does not release the second message
        Assert.Equal("second"u8.ToArray(), second.Data.ToArray());
        second.Dispose();
        Assert.Throws<ObjectDisposedException>(() => second.Data);
    }

    [Fact]
    public async Task Messages_held_at_the_same_time_keep_their_own_memory()
    {
        var (server, client) = CreatePair();
        for (int i = 0; i < 5; i++) await client.SendAsync(new byte[] { (byte)i, (byte)i, (byte)i }, MessageKind.Binary);
        var held = new List<ReceivedMessage>();
        for (int i = 0; i < 5; i++) held.Add(await Receive(server));
        for (int i = 0; i < 5; i++) Assert.Equal(new byte[] { (byte)i, (byte)i, (byte)i }, held[i].Data.ToArray());
        foreach (ReceivedMessage m in held) m.Dispose();
    }

    [Fact]
    public async Task A_cancelled_receive_keeps_the_part_received_and_the_next_call_completes_the_message()
    {
        var (server, client) = CreatePair();
        byte[] message = new byte[5000];
        new Random(5).NextBytes(message);
        await client.SendAsync(message.AsMemory(0, 3000), MessageKind.Binary, endOfMessage: false);
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            // Whether the first fragment was read before the token fired or not, the message must come out whole.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await server.ReceiveMessageAsync(cts.Token));
        }
        await client.SendAsync(message.AsMemory(3000), MessageKind.Binary, endOfMessage: true);
        using ReceivedMessage m = await Receive(server);
        Assert.Equal(message, m.Data.ToArray());
    }

    [Fact]
    public async Task The_peers_close_comes_with_its_code_and_reason()
    {
        var (server, client) = CreatePair();
        Task<SendStatus> closing = client.CloseAsync(CloseCodes.GoingAway, "ünïcödé 再见").AsTask();
        using ReceivedMessage m = await Receive(server);
        Assert.Equal(ConnectionReceiveKind.Close, m.Kind);
        Assert.Equal(CloseCodes.GoingAway, m.CloseCode);
        Assert.Equal("ünïcödé 再见", m.CloseReason);
        Assert.Equal("ünïcödé 再见", server.PeerCloseReason);
        Assert.Equal(SendStatus.Done, await closing.WaitAsync(Bound));
        Assert.Equal(CloseCodes.GoingAway, client.PeerCloseCode); // the server's auto-reply echoes the code
    }

    [Fact]
    public async Task A_close_without_a_reason_has_a_null_reason()
    {
        var (server, client) = CreatePair();
        Assert.Equal(SendStatus.Done, await client.CloseOutputAsync(CloseCodes.NormalClosure, null));
        using ReceivedMessage m = await Receive(server);
        Assert.Equal((ConnectionReceiveKind.Close, CloseCodes.NormalClosure), (m.Kind, m.CloseCode));
        Assert.Null(m.CloseReason);
        Assert.Null(server.PeerCloseReason);
    }

    [Fact]
    public async Task A_reason_of_exactly_123_UTF8_bytes_is_sent()
    {
        var (server, client) = CreatePair();
        string reason = new('日', 41); // 41 × 3 bytes = 123
        Assert.Equal(SendStatus.Done, await client.CloseOutputAsync(4000, reason));
        using ReceivedMessage m = await Receive(server);
        Assert.Equal((ushort)4000, m.CloseCode);
        Assert.Equal(reason, m.CloseReason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reason_over_123_UTF8_bytes_or_with_a_lone_surrogate_is_refused_and_nothing_is_sent(bool closeAsync)
    {
        var (server, client) = CreatePair();
        string tooLong = "a" + new string('日', 41); // 124 bytes although only 42 chars
        string lone = "bye \uD800";
        Assert.Equal(SendStatus.PayloadTooLong, closeAsync ? await client.CloseAsync(4000, tooLong) : await client.CloseOutputAsync(4000, tooLong));
        Assert.Equal(SendStatus.InvalidUtf16, closeAsync ? await client.CloseAsync(4000, lone) : await client.CloseOutputAsync(4000, lone));
        Assert.Equal(CloseHandshakeState.Open, client.State);
        Assert.Equal(SendStatus.Done, await client.SendTextAsync("still open"));
        using ReceivedMessage m = await Receive(server);
        Assert.Equal("still open", m.GetText());
    }

    [Fact]
    public async Task An_invalid_close_code_with_a_string_reason_is_refused()
    {
        var (_, client) = CreatePair();
        Assert.Equal(SendStatus.InvalidCloseCode, await client.CloseOutputAsync(CloseCodes.NoStatusReceived, "x"));
        Assert.Equal(CloseHandshakeState.Open, client.State);
    }

    [Fact]
    public async Task An_aborted_connection_returns_Aborted()
    {
        var (server, _) = CreatePair();
        Task<ReceivedMessage> pending = server.ReceiveMessageAsync().AsTask();
        server.Abort();
        using ReceivedMessage m = await pending.WaitAsync(Bound);
        Assert.Equal((ConnectionReceiveKind.Aborted, CloseCodes.AbnormalClosure), (m.Kind, m.CloseCode));
    }

    [Fact]
    public async Task Whole_and_chunked_receives_mix()
    {
        var (server, client) = CreatePair();
        await client.SendTextAsync("one");
        await client.SendTextAsync("two");
        await client.SendTextAsync("three");
        using (ReceivedMessage m = await Receive(server)) Assert.Equal("one", m.GetText());
        byte[] buffer = new byte[16];
        ConnectionReceiveResult r = await server.ReceiveAsync(buffer);
        Assert.Equal("two", Encoding.UTF8.GetString(buffer, 0, r.Count));
        using (ReceivedMessage m = await Receive(server)) Assert.Equal("three", m.GetText());
    }

    internal static async Task SendInFragmentsAsync(WebSocketConnection c, byte[] message, int fragments)
    {
        int size = (message.Length + fragments - 1) / fragments;
        for (int i = 0; i < fragments; i++)
        {
            int at = Math.Min(i * size, message.Length);
            int n = Math.Min(size, message.Length - at);
            Assert.Equal(SendStatus.Done, await c.SendAsync(message.AsMemory(at, n), MessageKind.Binary, i == fragments - 1));
        }
    }
}
