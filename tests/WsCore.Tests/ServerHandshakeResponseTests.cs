using System.Buffers;
using System.Text;
using FsCheck.Xunit;
using WsCore.Compression;
using WsCore.Handshake;
using static WsCore.Tests.HandshakeTestData;

namespace WsCore.Tests;

/// <summary>
/// <see cref="ServerHandshake.CreateResponse"/>: the server's answer to a validated request, sans-I/O (RFC 6455 §4.2.2,
/// RFC 7692 §5): the header values, the agreed subprotocol and permessage-deflate parameters, as one value; a policy's
/// bug (an unoffered subprotocol) refused, never sent.
/// </summary>
public class ServerHandshakeResponseTests
{
    private static readonly PerMessageDeflateOptions On = new() { Enabled = true };

    private static HandshakeRequest Request(string? extensions = null, string? subprotocols = "chat, superchat")
    {
        var fields = new UpgradeRequestFields
        {
            Method = "GET",
            Protocol = "HTTP/1.1",
            Target = "/chat",
            Host = "server.example.com",
            Upgrade = "websocket",
            Connection = "Upgrade",
            SecWebSocketKey = RfcKey,
            SecWebSocketVersion = "13",
            SecWebSocketProtocol = subprotocols,
            SecWebSocketExtensions = extensions,
        };
        Assert.Equal(HandshakeRequestError.None, ServerHandshake.Validate(fields, out HandshakeRequest? request));
        return request!;
    }

    [Fact]
    public void Section_4_2_2_the_response_carries_the_accept_value_the_subprotocol_and_the_agreed_deflate_parameters()
    {
        HandshakeRequest request = Request("permessage-deflate; client_max_window_bits; server_no_context_takeover");
        ServerHandshakeResponse response = ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept("superchat"), On);

        Assert.True(response.IsAccepted);
        Assert.Equal(101, response.StatusCode);
        Assert.Equal(RfcAccept, response.Accept);
        Assert.Equal("superchat", response.Subprotocol);
        Assert.Equal(new PerMessageDeflateParameters(15, true, 15, false), response.PerMessageDeflate);
        Assert.Equal("permessage-deflate; server_no_context_takeover", response.Extensions);
    }

    [Fact]
    public void The_written_head_is_what_the_response_writer_writes_for_those_values()
    {
        ServerHandshakeResponse response = ServerHandshake.CreateResponse(Request("permessage-deflate"), ServerHandshakeDecision.Accept("chat"), On);
        var written = new ArrayBufferWriter<byte>();
        int n = response.Write(written);
        var expected = new ArrayBufferWriter<byte>();
        HandshakeResponseWriter.WriteSwitchingProtocols(expected, RfcKey, "chat", "permessage-deflate");
        Assert.Equal(expected.WrittenSpan.ToArray(), written.WrittenSpan.ToArray());
        Assert.Equal(n, written.WrittenCount);

        byte[] buffer = new byte[512];
        Assert.True(response.TryWrite(buffer, out int m));
        Assert.Equal(expected.WrittenSpan.ToArray(), buffer[..m]);
        Assert.False(response.TryWrite(buffer.AsSpan(0, m - 1), out _));
    }

    [Theory]
    [InlineData(null)]                                      // no offer
    [InlineData("x-webkit-deflate-frame")]                  // another extension only
    [InlineData("permessage-deflate; server_max_window_bits=7")] // an offer nobody can honour (RFC 7692 §5: declined)
    [InlineData("permessage-deflate; ;")]                   // malformed (RFC 6455 §9.1): answered without extensions
    public void Without_an_acceptable_offer_the_connection_runs_uncompressed(string? offer)
    {
        ServerHandshakeResponse response = ServerHandshake.CreateResponse(Request(offer), ServerHandshakeDecision.Accept(), On);
        Assert.True(response.IsAccepted);
        Assert.Null(response.Extensions);
        Assert.Null(response.PerMessageDeflate);
    }

    [Fact]
    public void A_disabled_or_absent_policy_declines_compression()
    {
        HandshakeRequest request = Request("permessage-deflate");
        Assert.Null(ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept()).PerMessageDeflate);
        Assert.Null(ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept(), PerMessageDeflateOptions.Disabled).PerMessageDeflate);
    }

    [Fact]
    public void A_decision_can_override_the_deflate_policy_for_its_request()
    {
        HandshakeRequest request = Request("permessage-deflate");
        ServerHandshakeResponse declined = ServerHandshake.CreateResponse(request,
            ServerHandshakeDecision.Accept() with { PerMessageDeflate = PerMessageDeflateOptions.Disabled }, On);
        Assert.Null(declined.PerMessageDeflate);
        Assert.Null(declined.Extensions);

        ServerHandshakeResponse stricter = ServerHandshake.CreateResponse(request,
            ServerHandshakeDecision.Accept() with { PerMessageDeflate = new PerMessageDeflateOptions { Enabled = true, ServerNoContextTakeover = true } });
        Assert.Equal(new PerMessageDeflateParameters(15, true, 15, false), stricter.PerMessageDeflate);
        Assert.Equal("permessage-deflate; server_no_context_takeover", stricter.Extensions);
    }

    [Fact]
    public void A_decision_may_answer_extensions_of_its_own_and_then_no_deflate_is_negotiated()
    {
        HandshakeRequest request = Request("permessage-deflate, x-custom");
        ServerHandshakeResponse own = ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept(extensions: "x-custom"), On);
        Assert.Equal("x-custom", own.Extensions);
        Assert.Null(own.PerMessageDeflate);

        ServerHandshakeResponse none = ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept(extensions: ""), On);
        Assert.Null(none.Extensions);
        Assert.Null(none.PerMessageDeflate);
    }

    [Fact]
    public void Section_4_2_2_a_policy_choosing_a_subprotocol_the_client_did_not_offer_is_refused_as_a_server_bug()
    {
        Assert.Throws<ArgumentException>(() => ServerHandshake.CreateResponse(Request(), ServerHandshakeDecision.Accept("v2")));
        Assert.Throws<ArgumentException>(() => ServerHandshake.CreateResponse(Request(subprotocols: null), ServerHandshakeDecision.Accept("chat")));
        // Subprotocols compare case-sensitively (RFC 6455 §4.1 item 6 compares them as sent).
        Assert.Throws<ArgumentException>(() => ServerHandshake.CreateResponse(Request(), ServerHandshakeDecision.Accept("Chat")));
    }

    [Fact]
    public void Other_decision_bugs_are_refused_too()
    {
        HandshakeRequest request = Request("permessage-deflate");
        // permessage-deflate only through the handshake layer, so the engine and the answer never disagree.
        Assert.Throws<ArgumentException>(() => ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept(extensions: "permessage-deflate"), On));
        Assert.Throws<ArgumentException>(() => ServerHandshake.CreateResponse(request,
            ServerHandshakeDecision.Accept(extensions: "x-custom") with { PerMessageDeflate = On }));
        Assert.Throws<ArgumentException>(() => ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept(extensions: "a\r\nb: c")));
        Assert.Throws<ArgumentException>(() => ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Reject(200, "ok")));
        Assert.Throws<ArgumentException>(() => ServerHandshake.CreateResponse(request, default));
    }

    [Fact]
    public void A_rejection_carries_its_status_and_reason_and_agrees_nothing()
    {
        ServerHandshakeResponse response = ServerHandshake.CreateResponse(Request("permessage-deflate"), ServerHandshakeDecision.Reject(403, "origin not allowed"), On);
        Assert.False(response.IsAccepted);
        Assert.Equal(403, response.StatusCode);
        Assert.Equal("origin not allowed", response.Reason);
        Assert.Null(response.Accept);
        Assert.Null(response.Subprotocol);
        Assert.Null(response.Extensions);
        Assert.Null(response.PerMessageDeflate);
        var written = new ArrayBufferWriter<byte>();
        response.Write(written);
        string text = Encoding.UTF8.GetString(written.WrittenSpan);
        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\n", text);
        Assert.EndsWith("\r\n\r\norigin not allowed", text);
    }

    [Property(MaxTest = 300)]
    public bool Never_throws_for_any_offer_and_agrees_only_what_the_negotiator_selects(string? offer)
    {
        if (offer is not null && offer.AsSpan().ContainsAnyExceptInRange(' ', '~')) offer = null; // a valid request holds header characters only
        HandshakeRequest request = Request(offer);
        ServerHandshakeResponse response = ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept(), On);
        PerMessageDeflateNegotiationResult selected = PerMessageDeflateNegotiation.SelectOffer(On, offer ?? "", out PerMessageDeflateParameters p);
        return selected == PerMessageDeflateNegotiationResult.Accepted
            ? response.PerMessageDeflate == p && response.Extensions == PerMessageDeflateNegotiation.CreateResponse(p)
            : response.PerMessageDeflate is null && response.Extensions is null;
    }
}
