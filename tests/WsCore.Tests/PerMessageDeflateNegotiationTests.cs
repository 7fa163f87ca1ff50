using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WsCore.Compression;
using WsCore.Handshake;
using R = WsCore.Handshake.PerMessageDeflateNegotiationResult;

namespace WsCore.Tests;

/// <summary>permessage-deflate negotiation, RFC 7692 §5 and §7.1, for both roles.</summary>
public class PerMessageDeflateNegotiationTests
{
    private static readonly PerMessageDeflateOptions On = new() { Enabled = true };

    private static PerMessageDeflateParameters P(int serverBits, bool serverNct, int clientBits, bool clientNct) =>
        new(serverBits, serverNct, clientBits, clientNct);

    // ------------------------------------------------------------------ client: offer

    [Fact]
    public void DisabledClientOffersNothing()
    {
        Assert.Null(PerMessageDeflateNegotiation.CreateOffer(PerMessageDeflateOptions.Disabled));
        Assert.True(PerMessageDeflateNegotiation.TryWriteOffer(PerMessageDeflateOptions.Disabled, Span<char>.Empty, out int n));
        Assert.Equal(0, n);
    }

    [Fact]
    public void DefaultOfferAnnouncesValuelessClientMaxWindowBits() =>
        Assert.Equal("permessage-deflate; client_max_window_bits", PerMessageDeflateNegotiation.CreateOffer(On));

    [Fact]
    public void OfferCarriesEveryRequestedParameter()
    {
        var options = new PerMessageDeflateOptions
        {
            Enabled = true, ServerNoContextTakeover = true, ClientNoContextTakeover = true,
            ServerMaxWindowBits = 10, ClientMaxWindowBits = 12,
        };
        Assert.Equal("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
            PerMessageDeflateNegotiation.CreateOffer(options));
    }

    [Fact]
    public void OfferWithoutValuelessClientMaxWindowBits() =>
        Assert.Equal("permessage-deflate",
            PerMessageDeflateNegotiation.CreateOffer(new PerMessageDeflateOptions { Enabled = true, OfferClientMaxWindowBits = false }));

    [Fact]
    public void TryWriteOfferReportsATooSmallDestination()
    {
        Assert.False(PerMessageDeflateNegotiation.TryWriteOffer(On, new char[10], out _));
        Assert.True(PerMessageDeflateNegotiation.TryWriteOffer(On, new char[64], out int n));
        Assert.Equal("permessage-deflate; client_max_window_bits".Length, n);
    }

    // ------------------------------------------------------------------ client: response

    public static TheoryData<string, int, bool, int, bool> AcceptedResponses => new()
    {
        { "permessage-deflate", 15, false, 15, false },
        { "permessage-deflate; server_no_context_takeover", 15, true, 15, false },
        { "permessage-deflate; client_no_context_takeover", 15, false, 15, true },
        // §7.1.2.1: a server may limit its own window although the client did not ask.
        { "permessage-deflate; server_max_window_bits=10", 10, false, 15, false },
        { "permessage-deflate; server_max_window_bits=8", 8, false, 15, false },
        // §7.1.2.2: the client offered client_max_window_bits, so the server may limit the client's window.
        { "permessage-deflate; client_max_window_bits=9", 15, false, 9, false },
        { "permessage-deflate; client_max_window_bits=8", 15, false, 8, false },
        { "permessage-deflate; client_max_window_bits=\"12\"", 15, false, 12, false },
        { "permessage-deflate;server_no_context_takeover;client_no_context_takeover;server_max_window_bits=11;client_max_window_bits=13", 11, true, 13, true },
        { "  PerMessage-Deflate ;  Server_No_Context_Takeover  ", 15, true, 15, false },
        { ", permessage-deflate ,", 15, false, 15, false },
    };

    [Theory]
    [MemberData(nameof(AcceptedResponses))]
    public void ClientAcceptsValidResponses(string response, int serverBits, bool serverNct, int clientBits, bool clientNct)
    {
        Assert.Equal(R.Accepted, PerMessageDeflateNegotiation.ProcessResponse(On, response, out var p));
        Assert.Equal(P(serverBits, serverNct, clientBits, clientNct), p);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(",")]
    public void NoExtensionInTheResponseMeansUncompressed(string response)
    {
        Assert.Equal(R.NotNegotiated, PerMessageDeflateNegotiation.ProcessResponse(On, response, out _));
        Assert.Equal(R.NotNegotiated, PerMessageDeflateNegotiation.ProcessResponse(On, ReadOnlySpan<string>.Empty, out _));
    }

    [Theory]
    // out-of-range and malformed window bits (undici CVE-2026-2229 crashed on these instead of failing)
    [InlineData("permessage-deflate; server_max_window_bits=16", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; server_max_window_bits=7", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; server_max_window_bits=0", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; server_max_window_bits=08", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; server_max_window_bits=010", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; server_max_window_bits=-9", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; server_max_window_bits=+9", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; server_max_window_bits=1e1", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; server_max_window_bits=99999999999999999999", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; server_max_window_bits=\"16\"", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; server_max_window_bits", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; client_max_window_bits=16", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; client_max_window_bits=abc", R.InvalidParameterValue)]
    // client_max_window_bits needs a value in a response (§7.1.2.2)
    [InlineData("permessage-deflate; client_max_window_bits", R.InvalidParameterValue)]
    // flags take no value (§7.1.1)
    [InlineData("permessage-deflate; server_no_context_takeover=1", R.InvalidParameterValue)]
    [InlineData("permessage-deflate; client_no_context_takeover=\"x\"", R.InvalidParameterValue)]
    // unknown and duplicate parameters (§5)
    [InlineData("permessage-deflate; foo", R.UnknownParameter)]
    [InlineData("permessage-deflate; max_window_bits=10", R.UnknownParameter)]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover", R.DuplicateParameter)]
    [InlineData("permessage-deflate; client_no_context_takeover; client_no_context_takeover", R.DuplicateParameter)]
    [InlineData("permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", R.DuplicateParameter)]
    [InlineData("permessage-deflate; client_max_window_bits=10; client_max_window_bits=11", R.DuplicateParameter)]
    // more than one answer, other extensions (RFC 6455 §4.1)
    [InlineData("permessage-deflate, permessage-deflate", R.DuplicateExtension)]
    [InlineData("permessage-deflate; server_no_context_takeover, permessage-deflate", R.DuplicateExtension)]
    [InlineData("x-webkit-deflate-frame", R.UnexpectedExtension)]
    [InlineData("permessage-deflate, x-foo", R.UnexpectedExtension)]
    // syntax
    [InlineData("permessage-deflate;", R.MalformedHeader)]
    [InlineData("permessage-deflate; server_max_window_bits=", R.MalformedHeader)]
    [InlineData("permessage-deflate; server_max_window_bits=\"1 0\"", R.MalformedHeader)]
    [InlineData("permessage-deflate server_no_context_takeover", R.MalformedHeader)]
    [InlineData("\u0000", R.MalformedHeader)]
    public void ClientFailsTheHandshakeOnInvalidResponses(string response, R expected)
    {
        Assert.Equal(expected, PerMessageDeflateNegotiation.ProcessResponse(On, response, out var p));
        Assert.Equal(default, p);
    }

    [Fact]
    public void ResponseSpreadOverSeveralLinesIsOneList()
    {
        Assert.Equal(R.DuplicateExtension, PerMessageDeflateNegotiation.ProcessResponse(On,
            new[] { "permessage-deflate", "permessage-deflate" }, out _));
        Assert.Equal(R.Accepted, PerMessageDeflateNegotiation.ProcessResponse(On,
            new[] { "", "permessage-deflate; server_max_window_bits=12" }, out var p));
        Assert.Equal(P(12, false, 15, false), p);
        Assert.Equal(R.MalformedHeader, PerMessageDeflateNegotiation.ProcessResponse(On,
            new[] { "permessage-deflate", ";" }, out _));
    }

    [Fact]
    public void ResponseWithoutTheRequestedServerNoContextTakeoverFails()
    {
        // §7.1.1.1: the server accepts an offer of server_no_context_takeover by answering with it. Found by the
        // extensions fuzz target (fuzz/regressions/extensions/server-no-context-takeover-missing-from-response).
        var options = new PerMessageDeflateOptions { Enabled = true, ServerNoContextTakeover = true, ClientNoContextTakeover = true };
        Assert.Equal(R.ResponseDoesNotMatchOffer, PerMessageDeflateNegotiation.ProcessResponse(options,
            "permessage-deflate; client_max_window_bits=\"9\"; server_max_window_bits=\"15\"", out _));
        Assert.Equal(R.Accepted, PerMessageDeflateNegotiation.ProcessResponse(options,
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=9", out var p));
        Assert.True(p.ServerNoContextTakeover);
        Assert.True(p.ClientNoContextTakeover);
    }

    [Fact]
    public void ClientMaxWindowBitsInResponseWithoutOfferFails()
    {
        // §7.1.2.2: a server may only send client_max_window_bits if the client offered it.
        var options = new PerMessageDeflateOptions { Enabled = true, OfferClientMaxWindowBits = false };
        Assert.Equal(R.ResponseDoesNotMatchOffer,
            PerMessageDeflateNegotiation.ProcessResponse(options, "permessage-deflate; client_max_window_bits=10", out _));
        Assert.Equal(R.Accepted, PerMessageDeflateNegotiation.ProcessResponse(options, "permessage-deflate", out var p));
        Assert.Equal(PerMessageDeflateParameters.Default, p);
    }

    [Theory]
    [InlineData("permessage-deflate", 10)]                              // absent: the client keeps its offered limit
    [InlineData("permessage-deflate; client_max_window_bits=10", 10)]
    [InlineData("permessage-deflate; client_max_window_bits=9", 9)]
    [InlineData("permessage-deflate; client_max_window_bits=11", -1)]   // larger than offered
    public void ClientMaxWindowBitsMayOnlyShrink(string response, int expectedClientBits)
    {
        var options = new PerMessageDeflateOptions { Enabled = true, ClientMaxWindowBits = 10 };
        R result = PerMessageDeflateNegotiation.ProcessResponse(options, response, out var p);
        if (expectedClientBits < 0) Assert.Equal(R.ResponseDoesNotMatchOffer, result);
        else
        {
            Assert.Equal(R.Accepted, result);
            Assert.Equal(expectedClientBits, p.ClientMaxWindowBits);
        }
    }

    [Theory]
    [InlineData("permessage-deflate", -1)]                              // the server ignored the limit we need
    [InlineData("permessage-deflate; server_max_window_bits=10", 10)]
    [InlineData("permessage-deflate; server_max_window_bits=8", 8)]
    [InlineData("permessage-deflate; server_max_window_bits=11", -1)]   // larger than offered (§7.1.2.1)
    public void ServerMaxWindowBitsMustHonourTheOffer(string response, int expectedServerBits)
    {
        var options = new PerMessageDeflateOptions { Enabled = true, ServerMaxWindowBits = 10 };
        R result = PerMessageDeflateNegotiation.ProcessResponse(options, response, out var p);
        if (expectedServerBits < 0) Assert.Equal(R.ResponseDoesNotMatchOffer, result);
        else
        {
            Assert.Equal(R.Accepted, result);
            Assert.Equal(expectedServerBits, p.ServerMaxWindowBits);
        }
    }

    [Fact]
    public void ClientKeepsItsOwnNoContextTakeoverHint()
    {
        // §7.1.1.2: having offered client_no_context_takeover, the client does not take over context either way.
        var options = new PerMessageDeflateOptions { Enabled = true, ClientNoContextTakeover = true };
        Assert.Equal(R.Accepted, PerMessageDeflateNegotiation.ProcessResponse(options, "permessage-deflate", out var p));
        Assert.True(p.ClientNoContextTakeover);
    }

    [Fact]
    public void DisabledClientRejectsAnyExtensionInTheResponse()
    {
        Assert.Equal(R.UnexpectedExtension, PerMessageDeflateNegotiation.ProcessResponse(PerMessageDeflateOptions.Disabled, "permessage-deflate", out _));
        Assert.Equal(R.NotNegotiated, PerMessageDeflateNegotiation.ProcessResponse(PerMessageDeflateOptions.Disabled, "", out _));
    }

    // ------------------------------------------------------------------ server

    public static TheoryData<string, int, bool, int, bool, string> ServerSelections => new()
    {
        { "permessage-deflate", 15, false, 15, false, "permessage-deflate" },
        { "permessage-deflate; client_max_window_bits", 15, false, 15, false, "permessage-deflate" },
        // RFC 7692 §7.1.3-style offers with a fallback: the first offer the server can honour wins.
        { "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits",
          10, false, 15, false, "permessage-deflate; server_max_window_bits=10" },
        { "permessage-deflate; server_max_window_bits=16, permessage-deflate", 15, false, 15, false, "permessage-deflate" },
        { "permessage-deflate; foo, permessage-deflate; server_no_context_takeover",
          15, true, 15, false, "permessage-deflate; server_no_context_takeover" },
        { "permessage-deflate; server_no_context_takeover; server_no_context_takeover, permessage-deflate; client_no_context_takeover",
          15, false, 15, true, "permessage-deflate; client_no_context_takeover" },
        { "permessage-deflate; client_max_window_bits=10", 15, false, 10, false, "permessage-deflate; client_max_window_bits=10" },
        { "permessage-deflate; client_max_window_bits=\"9\"", 15, false, 9, false, "permessage-deflate; client_max_window_bits=9" },
        { "permessage-deflate; client_max_window_bits=8", 15, false, 8, false, "permessage-deflate; client_max_window_bits=8" },
        // 8 is honoured: the compressor then sends stored blocks (see PerMessageDeflateCompressor).
        { "permessage-deflate; server_max_window_bits=8", 8, false, 15, false, "permessage-deflate; server_max_window_bits=8" },
        { "x-webkit-deflate-frame; no_context_takeover, permessage-deflate", 15, false, 15, false, "permessage-deflate" },
        { "permessage-deflate; client_max_window_bits; client_max_window_bits, permessage-deflate; client_max_window_bits=12",
          15, false, 12, false, "permessage-deflate; client_max_window_bits=12" },
        { "permessage-deflate; client_max_window_bits=abc, permessage-deflate; server_no_context_takeover=yes, permessage-deflate; server_max_window_bits",
          0, false, 0, false, "" },
        { "x-foo, y-bar", 0, false, 0, false, "" },
        { "", 0, false, 0, false, "" },
    };

    [Theory]
    [MemberData(nameof(ServerSelections))]
    public void ServerPicksTheFirstOfferItCanHonour(string offers, int serverBits, bool serverNct, int clientBits, bool clientNct, string response)
    {
        R result = PerMessageDeflateNegotiation.SelectOffer(On, offers, out var p);
        if (serverBits == 0)
        {
            Assert.Equal(R.NotNegotiated, result);
            return;
        }
        Assert.Equal(R.Accepted, result);
        Assert.Equal(P(serverBits, serverNct, clientBits, clientNct), p);
        Assert.Equal(response, PerMessageDeflateNegotiation.CreateResponse(p));
        Assert.Equal(response, p.ToString());
    }

    [Theory]
    [InlineData("permessage-deflate;")]
    [InlineData("permessage-deflate; server_max_window_bits=")]
    [InlineData("permessage-deflate, ;")]
    [InlineData("permessage-deflate, x-foo; a=\"unterminated")]
    public void MalformedOfferHeaderIsReported(string offers) =>
        Assert.Equal(R.MalformedHeader, PerMessageDeflateNegotiation.SelectOffer(On, offers, out _));

    [Fact]
    public void OffersOverSeveralLinesAreOneListInOrder()
    {
        Assert.Equal(R.Accepted, PerMessageDeflateNegotiation.SelectOffer(On,
            new[] { "x-foo", "permessage-deflate; server_max_window_bits=9", "permessage-deflate" }, out var p));
        Assert.Equal(9, p.ServerMaxWindowBits);
        Assert.Equal(R.Accepted, PerMessageDeflateNegotiation.SelectOffer(On,
            new[] { "permessage-deflate; bogus", "permessage-deflate; client_no_context_takeover" }, out p));
        Assert.Equal(P(15, false, 15, true), p);
        Assert.Equal(R.MalformedHeader, PerMessageDeflateNegotiation.SelectOffer(On,
            new[] { "permessage-deflate", "a;;" }, out _));
    }

    [Fact]
    public void DisabledServerNegotiatesNothing() =>
        Assert.Equal(R.NotNegotiated, PerMessageDeflateNegotiation.SelectOffer(PerMessageDeflateOptions.Disabled, "permessage-deflate", out _));

    [Theory]
    [InlineData("permessage-deflate", 0)]                               // the client did not let us limit its window
    [InlineData("permessage-deflate, permessage-deflate; client_max_window_bits", 10)]
    [InlineData("permessage-deflate; client_max_window_bits=12", 10)]
    [InlineData("permessage-deflate; client_max_window_bits=9", 9)]
    public void ServerPolicyLimitsTheClientWindow(string offers, int expectedClientBits)
    {
        var options = new PerMessageDeflateOptions { Enabled = true, ClientMaxWindowBits = 10 };
        R result = PerMessageDeflateNegotiation.SelectOffer(options, offers, out var p);
        if (expectedClientBits == 0) Assert.Equal(R.NotNegotiated, result);
        else
        {
            Assert.Equal(R.Accepted, result);
            Assert.Equal(expectedClientBits, p.ClientMaxWindowBits);
            Assert.Contains($"client_max_window_bits={expectedClientBits}", PerMessageDeflateNegotiation.CreateResponse(p));
        }
    }

    [Theory]
    [InlineData("permessage-deflate", 11)]
    [InlineData("permessage-deflate; server_max_window_bits=13", 11)]
    [InlineData("permessage-deflate; server_max_window_bits=9", 9)]
    public void ServerPolicyLimitsItsOwnWindow(string offers, int expectedServerBits)
    {
        var options = new PerMessageDeflateOptions { Enabled = true, ServerMaxWindowBits = 11 };
        Assert.Equal(R.Accepted, PerMessageDeflateNegotiation.SelectOffer(options, offers, out var p));
        Assert.Equal(expectedServerBits, p.ServerMaxWindowBits);
        Assert.Contains($"server_max_window_bits={expectedServerBits}", PerMessageDeflateNegotiation.CreateResponse(p));
    }

    [Fact]
    public void ServerPolicyCanImposeNoContextTakeover()
    {
        var options = new PerMessageDeflateOptions { Enabled = true, ServerNoContextTakeover = true, ClientNoContextTakeover = true };
        Assert.Equal(R.Accepted, PerMessageDeflateNegotiation.SelectOffer(options, "permessage-deflate", out var p));
        Assert.Equal(P(15, true, 15, true), p);
        Assert.Equal("permessage-deflate; server_no_context_takeover; client_no_context_takeover", PerMessageDeflateNegotiation.CreateResponse(p));
    }

    [Fact]
    public void OptionsRejectOutOfRangeSettings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateOptions { ServerMaxWindowBits = 7 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateOptions { ClientMaxWindowBits = 16 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateOptions { CompressionLevel = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateOptions { MemoryLevel = 10 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerMessageDeflateParameters(16, false, 15, false));
    }

    // ------------------------------------------------------------------ both roles together

    private static PerMessageDeflateOptions MakeOptions(int bits)
    {
        return new PerMessageDeflateOptions
        {
            Enabled = (bits & 1) != 0,
            ServerNoContextTakeover = (bits & 2) != 0,
            ClientNoContextTakeover = (bits & 4) != 0,
            OfferClientMaxWindowBits = (bits & 8) != 0,
            ServerMaxWindowBits = Window((bits >> 4) & 15),
            ClientMaxWindowBits = Window((bits >> 8) & 15),
        };

        static int Window(int v) => v >= 8 ? 15 : 8 + v; // 15 half of the time
    }

    [Property(MaxTest = 3000)]
    public void WhateverBothPoliciesTheClientAgreesWithTheServersChoice(int seed)
    {
        // FsCheck's ints are small; spread them over all 4096 policy combinations.
        var r = new Random(seed);
        PerMessageDeflateOptions client = MakeOptions(r.Next(4096) | 1);
        PerMessageDeflateOptions server = MakeOptions(r.Next(4096) | (r.Next(8) == 0 ? 0 : 1));
        string? offer = PerMessageDeflateNegotiation.CreateOffer(client);
        R selected = PerMessageDeflateNegotiation.SelectOffer(server, offer ?? "", out var chosen);
        Assert.NotEqual(R.MalformedHeader, selected);
        string response = selected == R.Accepted ? PerMessageDeflateNegotiation.CreateResponse(chosen) : "";
        R result = PerMessageDeflateNegotiation.ProcessResponse(client, response, out var agreed);
        Assert.Equal(selected, result);
        if (result != R.Accepted) return;
        Assert.Equal(chosen, agreed);
        // Each side's limits hold.
        Assert.True(agreed.ServerMaxWindowBits <= Math.Min(client.ServerMaxWindowBits, server.ServerMaxWindowBits));
        Assert.True(agreed.ClientMaxWindowBits <= Math.Min(client.ClientMaxWindowBits, server.ClientMaxWindowBits));
        Assert.True(agreed.ServerNoContextTakeover == (client.ServerNoContextTakeover || server.ServerNoContextTakeover));
        Assert.True(agreed.ClientNoContextTakeover == (client.ClientNoContextTakeover || server.ClientNoContextTakeover));
    }

    [Property(MaxTest = 2000)]
    public void NegotiationNeverThrowsOnAnyHeader(string header)
    {
        header ??= "";
        foreach (var options in new[] { On, PerMessageDeflateOptions.Disabled, MakeOptions(0xFFF) })
        {
            R a = PerMessageDeflateNegotiation.ProcessResponse(options, header, out _);
            R b = PerMessageDeflateNegotiation.SelectOffer(options, header, out _);
            Assert.True(Enum.IsDefined(a) && Enum.IsDefined(b));
        }
    }
}

public class PerMessageDeflateServerWindowAnswerTests
{
    [Theory]
    [InlineData("permessage-deflate; server_max_window_bits=15", "permessage-deflate; server_max_window_bits=15")]
    [InlineData("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10")]
    [InlineData("permessage-deflate", "permessage-deflate")]
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate")]
    public void Section_7_1_2_1_an_offered_server_max_window_bits_is_named_in_the_answer(string offer, string answer)
    {
        var options = new WsCore.Compression.PerMessageDeflateOptions { Enabled = true };
        Assert.Equal(WsCore.Handshake.PerMessageDeflateNegotiationResult.Accepted,
            WsCore.Handshake.PerMessageDeflateNegotiation.SelectOffer(options, offer, out var agreed));
        Assert.Equal(answer, WsCore.Handshake.PerMessageDeflateNegotiation.CreateResponse(agreed));
    }
}
