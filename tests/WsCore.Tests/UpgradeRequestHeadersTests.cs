using System.Buffers;
using System.Text;
using WsCore.Handshake;
using WsCore.Pipelines;

namespace WsCore.Tests;

/// <summary>
/// The client's request headers: <see cref="UpgradeRequestHeaders"/> refuses what would split or corrupt the request
/// and the headers the handshake owns, where they are set; the writer refuses the same in
/// <see cref="ClientUpgradeRequest.ExtraHeaders"/>; and what is set reaches a server.
/// </summary>
public class UpgradeRequestHeadersTests
{
    public static TheoryData<string> Reserved => new()
    {
        "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions", "Sec-WebSocket-Accept", "Origin", "Content-Length", "Transfer-Encoding",
        "sec-websocket-key", "HOST", "connection",
    };

    [Theory]
    [MemberData(nameof(Reserved))]
    public void A_header_the_handshake_owns_is_refused_by_the_collection_and_by_the_writer(string name)
    {
        var headers = new UpgradeRequestHeaders();
        Assert.Throws<ArgumentException>(() => headers.Add(name, "x"));
        Assert.Throws<ArgumentException>(() => headers.Set(name, "x"));
        Assert.Empty(headers);
        var request = new ClientUpgradeRequest { Host = "example.com", ExtraHeaders = [new(name, "x")] };
        Assert.Throws<ArgumentException>(() => HandshakeRequestWriter.Write(new ArrayBufferWriter<byte>(), request));
    }

    [Theory]
    [InlineData("X-A", "a\r\nInjected: 1")]
    [InlineData("X-A", "a\nb")]
    [InlineData("X-A", "a\rb")]
    [InlineData("X-A", "nul\0")]
    [InlineData("X-A", "ünicode")]
    [InlineData("X A", "v")]
    [InlineData("X-A:", "v")]
    [InlineData("", "v")]
    [InlineData("X-\r\nA", "v")]
    public void A_name_or_value_that_could_split_or_corrupt_the_request_is_refused(string name, string value)
    {
        var headers = new UpgradeRequestHeaders();
        Assert.Throws<ArgumentException>(() => headers.Add(name, value));
        Assert.Throws<ArgumentException>(() => headers.Set(name, value));
        var request = new ClientUpgradeRequest { Host = "example.com", ExtraHeaders = [new(name, value)] };
        Assert.Throws<ArgumentException>(() => HandshakeRequestWriter.Write(new ArrayBufferWriter<byte>(), request));
    }

    [Fact]
    public void Set_replaces_every_line_of_a_name_in_place_and_null_removes_it()
    {
        var headers = new UpgradeRequestHeaders { { "Authorization", "Bearer 1" }, { "X-Trace", "a" }, { "x-trace", "b" }, { "User-Agent", "u" } };
        Assert.Equal(4, headers.Count);
        headers.Set("X-TRACE", "c");
        Assert.Equal([new("Authorization", "Bearer 1"), new("X-TRACE", "c"), new("User-Agent", "u")], headers.ToArray());
        Assert.True(headers.TryGetValue("x-trace", out string? trace));
        Assert.Equal("c", trace);
        headers.Set("Authorization", null);
        Assert.False(headers.TryGetValue("Authorization", out _));
        Assert.False(headers.Remove("Authorization"));
        headers.Set("Cookie", "a=1");
        Assert.Equal("Cookie", headers[^1].Key);
        headers.Clear();
        Assert.Empty(headers);
    }

    [Fact]
    public void The_lines_are_written_in_order_after_the_handshakes_own()
    {
        var headers = new UpgradeRequestHeaders { { "Authorization", "Bearer x" }, { "X-Empty", "" }, { "X-Tab", "a\tb" } };
        var output = new ArrayBufferWriter<byte>();
        HandshakeRequestWriter.Write(output, new ClientUpgradeRequest { Host = "example.com", ExtraHeaders = headers });
        string head = Encoding.ASCII.GetString(output.WrittenSpan);
        Assert.EndsWith("Sec-WebSocket-Version: 13\r\nAuthorization: Bearer x\r\nX-Empty: \r\nX-Tab: a\tb\r\n\r\n", head);
    }

    [Fact]
    public async Task Headers_set_in_the_client_options_reach_the_server()
    {
        await using TestWsServer server = await TestWsServer.StartAsync(tls: false);
        var options = new WebSocketClientOptions { RequestHeaders = { { "Authorization", "Basic YTpi" }, { "X-Repeated", "1" }, { "X-Repeated", "2" } } };
        await using WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(server.Uri(), options);
        Assert.Null(client.Error);
        HandshakeRequest request = server.Requests.Single();
        Assert.True(request.TryGetHeader("Authorization", out string? authorization));
        Assert.Equal("Basic YTpi", authorization);
        Assert.True(request.TryGetHeader("X-Repeated", out string? repeated));
        Assert.Equal("1, 2", repeated);
    }
}
