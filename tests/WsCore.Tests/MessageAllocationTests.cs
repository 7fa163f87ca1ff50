using WsCore.Framing;
using System.IO.Pipelines;
using WsCore.Pipelines;
using WsCore.Protocol;
using Xunit.Abstractions;

namespace WsCore.Tests;

/// <summary>
/// The message-level API in steady state: whole messages into pooled memory and text sent from strings allocate nothing
/// per message after warm-up; receiving text as a string allocates the string and nothing else.
/// </summary>
[Collection("Allocation")]
public class MessageAllocationTests(ITestOutputHelper output)
{
    private static (WebSocketConnection server, WebSocketConnection client) CreatePair()
    {
        var options = new PipeOptions(readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.ThreadPool, useSynchronizationContext: false);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        var server = new WebSocketConnection(new DuplexPipe(toServer.Reader, toClient.Writer), WebSocketRole.Server);
        var client = new WebSocketConnection(new DuplexPipe(toClient.Reader, toServer.Writer), WebSocketRole.Client);
        return (server, client);
    }

    [Theory]
    [InlineData(128, 1)]
    [InlineData(20_000, 1)]   // past the first 4 KiB: the pooled buffer grows within each message
    [InlineData(20_000, 5)]   // fragmented
    public async Task Whole_message_echo_allocates_nothing_per_message(int size, int fragments)
    {
        var (server, client) = CreatePair();
        byte[] message = new byte[size];
        new Random(1).NextBytes(message);
        int chunk = (size + fragments - 1) / fragments;

        async Task Loop(int n)
        {
            for (int i = 0; i < n; i++)
            {
                for (int at = 0; at < size; at += chunk)
                {
                    int length = Math.Min(chunk, size - at);
                    await client.SendAsync(message.AsMemory(at, length), MessageKind.Binary, at + length == size).ConfigureAwait(false);
                }
                using (ReceivedMessage s = await server.ReceiveMessageAsync().ConfigureAwait(false))
                {
                    if (s.Length != size) throw new InvalidOperationException("bad message on the server");
                    await server.SendAsync(s.Data, MessageKind.Binary).ConfigureAwait(false);
                }
                using ReceivedMessage c = await client.ReceiveMessageAsync(size).ConfigureAwait(false);
                if (c.Length != size) throw new InvalidOperationException("bad message on the client");
            }
        }

        double perMessage = await Allocations.PerMessageAsync(Loop, 500, output.WriteLine);
        Assert.True(perMessage < 1, $"{perMessage:F3} bytes per message");
    }

    [Fact]
    public async Task Text_sent_from_strings_and_chars_allocates_nothing_per_message()
    {
        var (server, client) = CreatePair();
        const string text = "héllo wörld · κόσμε · 日本語 · 👋 and some ASCII to make it longer than a cache line";
        ReadOnlyMemory<char> chars = ("[" + text + "]").AsMemory(1, text.Length);

        async Task Loop(int n)
        {
            for (int i = 0; i < n; i++)
            {
                await client.SendTextAsync(text).ConfigureAwait(false);
                using (ReceivedMessage s = await server.ReceiveMessageAsync().ConfigureAwait(false))
                {
                    if (s.MessageKind != MessageKind.Text) throw new InvalidOperationException("not text");
                }
                await server.SendTextAsync(chars).ConfigureAwait(false);
                using ReceivedMessage c = await client.ReceiveMessageAsync().ConfigureAwait(false);
                if (c.MessageKind != MessageKind.Text) throw new InvalidOperationException("not text");
            }
        }

        double perMessage = await Allocations.PerMessageAsync(Loop, 500, output.WriteLine);
        Assert.True(perMessage < 1, $"{perMessage:F3} bytes per message");
    }

    [Fact]
    public async Task Receiving_text_as_a_string_allocates_the_string_only()
    {
        var (server, client) = CreatePair();
        string text = new('x', 100);
        long stringBytes = Allocations.Measure(() => GC.KeepAlive(new string('x', 100)));

        async Task Loop(int n)
        {
            for (int i = 0; i < n; i++)
            {
                await client.SendTextAsync(text).ConfigureAwait(false);
                using (ReceivedMessage s = await server.ReceiveMessageAsync().ConfigureAwait(false))
                {
                    if (s.GetText().Length != text.Length) throw new InvalidOperationException("bad text");
                }
                await server.SendTextAsync(text).ConfigureAwait(false);
                using ReceivedMessage c = await client.ReceiveMessageAsync().ConfigureAwait(false);
                if (c.GetText().Length != text.Length) throw new InvalidOperationException("bad text");
            }
        }

        double perMessage = await Allocations.PerMessageAsync(Loop, 500, output.WriteLine);
        output.WriteLine($"a string of 100 chars: {stringBytes} B");
        Assert.True(perMessage < stringBytes + 1, $"{perMessage:F3} bytes per message, the string is {stringBytes} B");
        Assert.True(perMessage > stringBytes - 1, $"{perMessage:F3} bytes per message: the string ({stringBytes} B) should be all");
    }
}
