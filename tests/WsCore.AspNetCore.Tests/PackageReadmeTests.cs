using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;
using Samples;
using WsCore.Closing;
using WsCore.Pipelines;
using WsCore.Protocol;
using static WsCore.AspNetCore.Tests.ClientSupport;

namespace WsCore.AspNetCore.Tests;

/// <summary>
/// The package READMEs (src/WsCore/README.md, src/WsCore.AspNetCore/README.md) show only compiled code: every ```csharp
/// block is preceded by the line <c>[sample X.cs]: tests/WsCore.Samples/X.cs</c> (a Markdown link reference definition:
/// never rendered, so nuget.org shows nothing of it) and is that file, verbatim (the samples project compiles them;
/// this test compares), and every sample is shown. The examples are then run.
/// </summary>
public partial class PackageReadmeTests
{
    private static readonly string[] Readmes = ["src/WsCore/README.md", "src/WsCore.AspNetCore/README.md"];
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [GeneratedRegex(@"^```csharp\n(.*?)^```$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"\n\[sample [^\]\n]+\]: (\S+)\n$")]
    private static partial Regex SampleMarkerAtEnd();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WsCore.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("WsCore.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Read(string root, string path) => File.ReadAllText(Path.Combine(root, path)).Replace("\r\n", "\n", StringComparison.Ordinal);

    public static TheoryData<string> ReadmeFiles() => new(Readmes);

    [Theory]
    [MemberData(nameof(ReadmeFiles))]
    public void Every_csharp_block_is_a_compiled_sample_verbatim(string readme)
    {
        string root = RepositoryRoot();
        string text = Read(root, readme);
        MatchCollection blocks = CSharpBlock().Matches(text);
        Assert.NotEmpty(blocks);
        foreach (Match block in blocks)
        {
            Match marker = SampleMarkerAtEnd().Match(text, 0, block.Index);
            Assert.True(marker.Success, $"{readme}: a ```csharp block at offset {block.Index} has no [sample X.cs]: tests/WsCore.Samples/X.cs line right before it");
            string path = marker.Groups[1].Value;
            Assert.StartsWith("tests/WsCore.Samples/", path, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(root, path)), $"{readme} names {path}, which does not exist");
            string expected = Read(root, path).TrimEnd('\n') + "\n";
            Assert.True(expected == block.Groups[1].Value, $"{readme}: the block marked {path} differs from the file (copy the file into the README)");
        }
    }

    [Fact]
    public void Every_sample_is_shown_in_a_package_readme()
    {
        string root = RepositoryRoot();
        string all = string.Concat(Readmes.Select(r => Read(root, r)));
        foreach (string file in Directory.GetFiles(Path.Combine(root, "tests/WsCore.Samples"), "*.cs"))
        {
            string path = "tests/WsCore.Samples/" + Path.GetFileName(file);
            Assert.Contains($"[sample {Path.GetFileName(file)}]: {path}\n```csharp\n", all, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SansIoEcho_echoes_text_fed_one_byte_at_a_time()
    {
        Assert.Equal("héllo wörld 👋", SansIoEcho.Run("héllo wörld 👋"));
    }

    [Fact]
    public async Task EchoServer_echoes_to_the_WebSocket_swap_client_and_refuses_other_paths()
    {
        using var stop = new CancellationTokenSource();
        var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task server = EchoServer.RunAsync(new IPEndPoint(IPAddress.Loopback, 0), e => listening.SetResult(e), stop.Token);
        IPEndPoint endpoint = await listening.Task.WaitAsync(Bound);
        try
        {
            using var timeout = new CancellationTokenSource(Bound);
            using (WebSocket? webSocket = await WebSocketSwap.ConnectAsync(new Uri($"ws://127.0.0.1:{endpoint.Port}/echo"), timeout.Token))
            {
                Assert.NotNull(webSocket);
                Assert.Equal("κόσμε 日本", await WebSocketSwap.SendAndReceiveAsync(webSocket, "κόσμε 日本", timeout.Token));
                Assert.Equal(WebSocketState.Closed, webSocket.State);
            }
            Assert.Null(await WebSocketSwap.ConnectAsync(new Uri($"ws://127.0.0.1:{endpoint.Port}/elsewhere"), timeout.Token));

            // "bye" makes the server close with 1000 and a reason; a client that reconnects then stops.
            int code = await ReconnectingClient.RunAsync(new Uri($"ws://127.0.0.1:{endpoint.Port}/echo"), async (c, ct) =>
            {
                Assert.Equal(SendStatus.Done, await c.SendTextAsync("bye", ct));
                using ReceivedMessage m = await c.ReceiveMessageAsync(ct);
                Assert.Equal((ConnectionReceiveKind.Close, CloseCodes.NormalClosure, "bye to you too"), (m.Kind, m.CloseCode, m.CloseReason));
            }, timeout.Token);
            Assert.Equal(CloseCodes.NormalClosure, code);
            Assert.Equal(404, await ReconnectingClient.RunAsync(new Uri($"ws://127.0.0.1:{endpoint.Port}/elsewhere"), (_, _) => Task.CompletedTask, timeout.Token));
        }
        finally
        {
            await stop.CancelAsync();
            await server.WaitAsync(Bound);
        }
    }

    [Fact]
    public async Task ReconnectingClient_reconnects_after_1012_and_stops_after_1000()
    {
        int connections = 0;
        using var stop = new CancellationTokenSource();
        var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task server = SocketWebSockets.RunServerAsync(new IPEndPoint(IPAddress.Loopback, 0), async (connection, _) =>
        {
            if (Interlocked.Increment(ref connections) == 1)
            {
                await connection.CloseAsync(CloseCodes.ServiceRestart, "restarting"); // the client should come back
                return;
            }
            using ReceivedMessage hello = await connection.ReceiveMessageAsync();
            Assert.Equal("hello", hello.GetText());
            await connection.SendTextAsync("welcome back");
            await connection.CloseAsync(CloseCodes.NormalClosure, "done");
        }, onListening: e => listening.SetResult(e), cancellationToken: stop.Token);
        IPEndPoint endpoint = await listening.Task.WaitAsync(Bound);
        try
        {
            using var timeout = new CancellationTokenSource(Bound);
            int code = await ReconnectingClient.RunAsync(new Uri($"ws://127.0.0.1:{endpoint.Port}/"), ReconnectingClient.PrintMessagesAsync, timeout.Token);
            Assert.Equal(CloseCodes.NormalClosure, code);
            Assert.Equal(2, connections);
        }
        finally
        {
            await stop.CancelAsync();
            await server.WaitAsync(Bound);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChatEndpoints_serves_a_browser_from_its_origin_and_refuses_others(bool http2)
    {
        await using KestrelServer server = await KestrelServer.StartAsync(ChatEndpoints.Map);
        using ClientWebSocket client = await server.ConnectAsync("/chat", http2, compression: true, o =>
        {
            o.AddSubProtocol("chat.v1");
            o.SetRequestHeader("Origin", "https://example.com");
        });
        Assert.Equal("chat.v1", client.SubProtocol);
        Assert.True(client.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"));
        string big = Encoding.UTF8.GetString(CompressibleText(3000)); // ~40 KB, under the 64 KiB limit
        Assert.Equal("anonymous said: " + big, Encoding.UTF8.GetString(await client.EchoAsync(Encoding.UTF8.GetBytes(big), WebSocketMessageType.Text)));
        await client.CloseNormallyAsync();

        await Assert.ThrowsAsync<WebSocketException>(() => server.ConnectAsync("/chat", http2, configure: o =>
        {
            o.AddSubProtocol("chat.v1");
            o.SetRequestHeader("Origin", "https://elsewhere.example");
        }));
    }

    [Fact]
    public async Task ChatEndpoints_closes_with_1009_over_its_limit()
    {
        await using KestrelServer server = await KestrelServer.StartAsync(ChatEndpoints.Map);
        using ClientWebSocket client = await server.ConnectAsync("/chat", http2: false, configure: o =>
        {
            o.AddSubProtocol("chat.v1");
            o.SetRequestHeader("Origin", "https://example.com");
        });
        using var cts = new CancellationTokenSource(Bound);
        await client.SendAsync(new byte[64 * 1024 + 1], WebSocketMessageType.Text, true, cts.Token);
        (WebSocketMessageType type, _) = await client.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AcceptInMiddleware_serves_both_ways_in(bool http2)
    {
        await using KestrelServer server = await KestrelServer.StartAsync(AcceptInMiddleware.Use);
        using (ClientWebSocket client = await server.ConnectAsync("/websocket", http2))
        {
            byte[] data = RandomBytes(20_000, 1); // larger than the 4 KiB buffer: echoed piece by piece
            Assert.Equal(data, await client.EchoAsync(data, WebSocketMessageType.Binary));
            await client.CloseNormallyAsync();
        }
        using (ClientWebSocket client = await server.ConnectAsync("/connection", http2))
        {
            Assert.Equal("once"u8.ToArray(), await client.EchoAsync("once"u8.ToArray(), WebSocketMessageType.Binary));
            (WebSocketMessageType type, _) = await client.ReceiveMessageAsync();
            Assert.Equal(WebSocketMessageType.Close, type);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
            Assert.Equal("one message only", client.CloseStatusDescription);
        }
        await Assert.ThrowsAsync<WebSocketException>(() => server.ConnectAsync("/elsewhere", http2));
    }
}
