using System.Buffers;
using System.Text;
using WsCore.Compression;
using WsCore.Handshake;
using static WsCore.Tests.HandshakeTestData;

namespace WsCore.Tests;

/// <summary>
/// The client's side of the agreement, sans-I/O (<see cref="HandshakeRequestWriter"/> + <see cref="HandshakeResponseReader"/>):
/// the offer comes from <see cref="ClientUpgradeRequest.PerMessageDeflate"/>, and RFC 6455 §4.1 fails the handshake on
/// an answer naming an extension or a subprotocol that was not offered, or (RFC 7692 §5) a permessage-deflate answer
/// that does not fit the offer; an accepted answer carries the agreed parameters.
/// </summary>
public class ClientHandshakeAgreementTests
{
    private static readonly PerMessageDeflateOptions On = new() { Enabled = true };

    private static string Answer(string? extensions, string? subprotocol = null) =>
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + RfcAccept + "\r\n" +
        (subprotocol is null ? "" : "Sec-WebSocket-Protocol: " + subprotocol + "\r\n") +
        (extensions is null ? "" : "Sec-WebSocket-Extensions: " + extensions + "\r\n") + "\r\n";

    private static HandshakeResponseReader Read(string answer, PerMessageDeflateOptions? deflate, IReadOnlyList<string>? subprotocols = null)
    {
        var reader = new HandshakeResponseReader(RfcKey, subprotocols, deflate);
        reader.Read(Encoding.ASCII.GetBytes(answer), out _);
        return reader;
    }

    [Fact]
    public void The_request_offers_permessage_deflate_from_its_options()
    {
        var output = new ArrayBufferWriter<byte>();
        HandshakeRequestWriter.Write(output, new ClientUpgradeRequest { Host = "h", PerMessageDeflate = new PerMessageDeflateOptions { Enabled = true, ServerMaxWindowBits = 10 } }, RfcKey);
        Assert.Contains("\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10; client_max_window_bits\r\n", Encoding.ASCII.GetString(output.WrittenSpan));

        foreach (PerMessageDeflateOptions? none in new[] { null, PerMessageDeflateOptions.Disabled })
        {
            output.Clear();
            HandshakeRequestWriter.Write(output, new ClientUpgradeRequest { Host = "h", PerMessageDeflate = none }, RfcKey);
            Assert.DoesNotContain("Sec-WebSocket-Extensions", Encoding.ASCII.GetString(output.WrittenSpan));
        }
    }

    [Theory]
    [InlineData("permessage-deflate", 15, false, 15, false)]
    [InlineData("permessage-deflate; server_no_context_takeover; client_max_window_bits=10", 15, true, 10, false)]
    [InlineData("PerMessage-Deflate; server_max_window_bits=12", 12, false, 15, false)]
    public void An_answer_that_fits_the_offer_carries_the_agreed_parameters(string answer, int serverBits, bool serverNct, int clientBits, bool clientNct)
    {
        HandshakeResponseReader reader = Read(Answer(answer), On);
        Assert.Equal(HandshakeReadStatus.Done, reader.Status);
        Assert.Equal(new PerMessageDeflateParameters(serverBits, serverNct, clientBits, clientNct), reader.Response!.PerMessageDeflate);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" , ")]
    public void No_answer_means_no_compression(string? answer)
    {
        HandshakeResponseReader reader = Read(Answer(answer), On);
        Assert.Equal(HandshakeReadStatus.Done, reader.Status);
        Assert.Null(reader.Response!.PerMessageDeflate);
    }

    [Theory]
    [InlineData("x-webkit-deflate-frame", true)]              // offered permessage-deflate, answered another
    [InlineData("permessage-deflate, x-custom", true)]        // one offered, one not
    [InlineData("permessage-deflate", false)]                 // offered nothing
    [InlineData("x-custom; a=1", false)]
    public void Section_4_1_an_answer_naming_an_extension_not_offered_fails(string answer, bool offered)
    {
        HandshakeResponseReader reader = Read(Answer(answer), offered ? On : null);
        Assert.Equal(HandshakeReadStatus.Rejected, reader.Status);
        Assert.Equal(HandshakeResponseError.ExtensionNotOffered, reader.Error);
        Assert.Null(reader.Response);
    }

    [Theory]
    [InlineData("permessage-deflate; client_max_window_bits=7")]    // RFC 7692 §7.1.2.2: 8-15
    [InlineData("permessage-deflate; client_max_window_bits")]      // a value is required in a response
    [InlineData("permessage-deflate; server_max_window_bits=010")]  // no leading zeros
    [InlineData("permessage-deflate; server_no_context_takeover=1")] // takes no value
    [InlineData("permessage-deflate; unknown_parameter")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    [InlineData("permessage-deflate, permessage-deflate")]           // accepted twice
    public void Section_4_1_an_invalid_permessage_deflate_answer_fails(string answer)
    {
        HandshakeResponseReader reader = Read(Answer(answer), On);
        Assert.Equal(HandshakeReadStatus.Rejected, reader.Status);
        Assert.Equal(HandshakeResponseError.InvalidPerMessageDeflateAnswer, reader.Error);
    }

    [Fact]
    public void Section_7_1_an_answer_that_does_not_fit_the_offer_fails()
    {
        // client_max_window_bits although the client did not offer it (RFC 7692 §7.1.2.2).
        var noClientBits = new PerMessageDeflateOptions { Enabled = true, OfferClientMaxWindowBits = false };
        Assert.Equal(HandshakeResponseError.InvalidPerMessageDeflateAnswer, Read(Answer("permessage-deflate; client_max_window_bits=10"), noClientBits).Error);
        // A larger server window than asked for (RFC 7692 §7.1.2.1).
        var smallWindow = new PerMessageDeflateOptions { Enabled = true, ServerMaxWindowBits = 10 };
        Assert.Equal(HandshakeResponseError.InvalidPerMessageDeflateAnswer, Read(Answer("permessage-deflate; server_max_window_bits=12"), smallWindow).Error);
        Assert.Equal(HandshakeResponseError.InvalidPerMessageDeflateAnswer, Read(Answer("permessage-deflate"), smallWindow).Error);
        Assert.Equal(HandshakeReadStatus.Done, Read(Answer("permessage-deflate; server_max_window_bits=9"), smallWindow).Status);
    }

    [Theory]
    [InlineData("permessage-deflate;")]
    [InlineData("permessage-deflate; a=\"unterminated")]
    [InlineData("permessage-deflate x")]
    public void A_malformed_extensions_header_fails(string answer)
    {
        HandshakeResponseReader reader = Read(Answer(answer), On);
        Assert.Equal(HandshakeReadStatus.Rejected, reader.Status);
        Assert.Equal(HandshakeResponseError.MalformedExtensions, reader.Error);
    }

    [Theory]
    [InlineData("v3")]
    [InlineData("V1")]
    [InlineData("v1, v2")]
    public void Section_4_1_a_subprotocol_not_offered_fails(string answer)
    {
        HandshakeResponseReader reader = Read(Answer(null, answer), On, ["v1", "v2"]);
        Assert.Equal(HandshakeResponseError.SubprotocolNotOffered, reader.Error);
        Assert.Equal(HandshakeResponseError.SubprotocolNotOffered, Read(Answer(null, "v1"), On).Error); // none offered
        Assert.Equal("v2", Read(Answer(null, "v2"), On, ["v1", "v2"]).Response!.Subprotocol);
    }

    [Fact]
    public void The_server_and_client_sides_agree_on_the_same_parameters()
    {
        var client = new PerMessageDeflateOptions { Enabled = true, ClientNoContextTakeover = true, ServerMaxWindowBits = 12 };
        var server = new PerMessageDeflateOptions { Enabled = true, ClientMaxWindowBits = 11 };
        var requestBytes = new ArrayBufferWriter<byte>();
        HandshakeRequestWriter.Write(requestBytes, new ClientUpgradeRequest { Host = "h", PerMessageDeflate = client }, RfcKey);
        var requestReader = new HandshakeRequestReader();
        Assert.Equal(HandshakeReadStatus.Done, requestReader.Read(requestBytes.WrittenSpan, out _));
        ServerHandshakeResponse response = ServerHandshake.CreateResponse(requestReader.Request!, ServerHandshakeDecision.Accept(), server);
        var responseBytes = new ArrayBufferWriter<byte>();
        response.Write(responseBytes);

        var reader = new HandshakeResponseReader(RfcKey, null, client);
        Assert.Equal(HandshakeReadStatus.Done, reader.Read(responseBytes.WrittenSpan, out _));
        Assert.Equal(new PerMessageDeflateParameters(12, false, 11, true), response.PerMessageDeflate);
        Assert.Equal(response.PerMessageDeflate, reader.Response!.PerMessageDeflate);
    }
}
