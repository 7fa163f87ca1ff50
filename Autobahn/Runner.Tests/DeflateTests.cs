using System.IO.Compression;
using System.Text;
using ConformanceRunner.Cases;
using ConformanceRunner.Deflate;

namespace ConformanceRunner.Tests;

/// <summary>The runner's own permessage-deflate (RFC 7692 §7.2): its zlib binding, window sizes, context takeover.</summary>
public class DeflateTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    public static TheoryData<int, int, bool> RoundTripCases()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (int length in new[] { 0, 1, 16, 1000, 65536, 200_000 })
            foreach (int bits in new[] { 9, 12, 15 })
                foreach (bool noContext in new[] { false, true })
                    data.Add(length, bits, noContext);
        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Messages_round_trip_for_every_window_and_takeover_mode(int length, int bits, bool noContext)
    {
        using var deflater = new MessageDeflater(bits, noContext);
        using var inflater = new MessageInflater(bits, noContext);
        var text = CompressionData.Json.Text!;
        var rnd = new Random(length + bits);
        for (int m = 0; m < 4; m++)
        {
            // the same text twice (a context-takeover back reference) plus some random octets
            var message = Encoding.UTF8.GetBytes(text.Substring(m * 7, Math.Min(length, text.Length - m * 7)));
            if (m == 3) rnd.NextBytes(message);
            var compressed = deflater.Compress(message);
            Assert.False(compressed.AsSpan().EndsWith(new byte[] { 0, 0, 0xFF, 0xFF }), "the sync-flush tail must be removed");
            Assert.True(inflater.TryInflate(compressed, out var back, out var error), error);
            Assert.Equal(message, back);
        }
    }

    [Fact]
    public void Rfc7692_7_2_3_1_hello_compresses_to_the_example_octets()
    {
        using var deflater = new MessageDeflater(15, noContextTakeover: false);
        Assert.Equal(Hex("f2 48 cd c9 c9 07 00"), deflater.Compress("Hello"u8));
    }

    [Fact]
    public void Rfc7692_7_2_3_2_a_second_hello_refers_back_only_with_context_takeover()
    {
        using var sharing = new MessageDeflater(15, noContextTakeover: false);
        sharing.Compress("Hello"u8);
        var second = sharing.Compress("Hello"u8);
        Assert.True(second.Length < 7, "with context takeover the second message is a back reference");
        using var inflater = new MessageInflater(15, noContextTakeover: false);
        Assert.True(inflater.TryInflate(Hex("f2 48 cd c9 c9 07 00"), out var first, out _));
        Assert.True(inflater.TryInflate(Hex("f2 00 11 00 00"), out var again, out var error), error);
        Assert.Equal("Hello"u8.ToArray(), first);
        Assert.Equal("Hello"u8.ToArray(), again);

        using var fresh = new MessageDeflater(15, noContextTakeover: true);
        fresh.Compress("Hello"u8);
        Assert.Equal(Hex("f2 48 cd c9 c9 07 00"), fresh.Compress("Hello"u8));
    }

    [Fact]
    public void Without_context_takeover_a_back_reference_into_the_previous_message_is_an_error()
    {
        using var inflater = new MessageInflater(15, noContextTakeover: true);
        Assert.True(inflater.TryInflate(Hex("f2 48 cd c9 c9 07 00"), out _, out _));
        Assert.False(inflater.TryInflate(Hex("f2 00 11 00 00"), out _, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("00 05 00 fa ff 48 65 6c 6c 6f 00")]          // §7.2.3.3 a stored (uncompressed) block
    [InlineData("f3 48 cd c9 c9 07 00 00")]                   // §7.2.3.4 a block with BFINAL = 1
    [InlineData("f2 48 05 00 00 00 ff ff ca c9 c9 07 00")]    // §7.2.3.5 two blocks in one message
    public void Rfc7692_7_2_3_examples_inflate_to_hello(string hex)
    {
        using var inflater = new MessageInflater(15, noContextTakeover: false);
        Assert.True(inflater.TryInflate(Hex(hex), out var message, out var error), error);
        Assert.Equal("Hello"u8.ToArray(), message);
    }

    [Fact]
    public void Garbage_is_reported_not_thrown()
    {
        using var inflater = new MessageInflater(15, noContextTakeover: false);
        Assert.False(inflater.TryInflate(Hex("ff ff ff ff 00 11 22"), out var message, out var error));
        Assert.Empty(message);
        Assert.Contains("invalid", error);
    }

    [Fact]
    public void A_window_of_9_bits_keeps_only_512_octets_of_the_previous_message()
    {
        // 600 random octets sent twice with context takeover: the second message refers back 600 octets into the
        // first, which a 15-bit window keeps and a 9-bit window (512 octets) does not
        var chunk = new byte[600];
        new Random(7).NextBytes(chunk);
        using var wide = new MessageDeflater(15, noContextTakeover: false);
        var first = wide.Compress(chunk);
        var second = wide.Compress(chunk);
        Assert.True(second.Length < 100, "the second message is a back reference");

        using var narrow = new MessageInflater(9, noContextTakeover: false);
        Assert.True(narrow.TryInflate(first, out _, out _));
        Assert.False(narrow.TryInflate(second, out _, out var error));
        Assert.Contains("distance", error);

        using var full = new MessageInflater(15, noContextTakeover: false);
        Assert.True(full.TryInflate(first, out _, out _));
        Assert.True(full.TryInflate(second, out var back, out _));
        Assert.Equal(chunk, back);

        using var small = new MessageDeflater(9, noContextTakeover: false);
        using var narrow2 = new MessageInflater(9, noContextTakeover: false);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(narrow2.TryInflate(small.Compress(chunk), out var back9, out var error9), error9);
            Assert.Equal(chunk, back9);
        }
    }

    [Fact]
    public void Inflating_past_the_limit_is_reported()
    {
        using var deflater = new MessageDeflater(15, noContextTakeover: true);
        var compressed = deflater.Compress(new byte[1 << 20]);
        using var inflater = new MessageInflater(15, noContextTakeover: true);
        Assert.False(inflater.TryInflate(compressed, out _, out var error, limit: 64 << 10));
        Assert.Contains("past", error);
    }

    [Fact]
    public void Output_inflates_with_DeflateStream_and_DeflateStream_output_inflates_here()
    {
        var message = Encoding.UTF8.GetBytes(CompressionData.Json.Text![..50_000]);
        using (var deflater = new MessageDeflater(15, noContextTakeover: false))
        {
            var compressed = deflater.Compress(message);
            using var input = new MemoryStream(compressed.Concat(new byte[] { 0, 0, 0xFF, 0xFF }).ToArray());
            using var inflate = new DeflateStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            inflate.CopyTo(output);
            Assert.Equal(message, output.ToArray());
        }

        var sink = new MemoryStream();
        using (var deflate = new DeflateStream(sink, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(message);
            deflate.Flush(); // a sync flush: ends with 00 00 FF FF
        }
        var octets = sink.ToArray();
        int tail = octets.AsSpan().LastIndexOf(new byte[] { 0, 0, 0xFF, 0xFF });
        Assert.True(tail > 0);
        using var inflater = new MessageInflater(15, noContextTakeover: false);
        Assert.True(inflater.TryInflate(octets.AsSpan(0, tail), out var back, out var error), error);
        Assert.Equal(message, back);
    }
}

/// <summary>permessage-deflate negotiation as wstest writes and reads it (offers, answers, the section 13 matrix).</summary>
public class DeflateNegotiationTests
{
    [Fact]
    public void Offers_are_written_as_wstest_writes_them()
    {
        Assert.Equal("permessage-deflate; client_no_context_takeover; client_max_window_bits", new DeflateOffer().ToHeader());
        Assert.Equal("permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9",
            new DeflateOffer(RequestNoContextTakeover: true, RequestMaxWindowBits: 9).ToHeader());
        var matrix = Catalogue.All.Where(c => c.Id.StartsWith("13.", StringComparison.Ordinal) && c.Id.EndsWith(".1", StringComparison.Ordinal))
            .Select(c => DeflateOffer.ToHeader(c.Deflate!.Offers)).ToArray();
        Assert.Equal(7, matrix.Length);
        Assert.EndsWith("server_no_context_takeover; server_max_window_bits=9, permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover, permessage-deflate; client_no_context_takeover; client_max_window_bits",
            matrix[6]);
    }

    [Fact]
    public void A_client_offer_is_read_as_wstest_reads_it()
    {
        var items = ExtensionItem.ParseHeader("permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits=\"10\"; server_no_context_takeover, x-other");
        Assert.Equal(3, items.Count);
        Assert.True(DeflateOffer.TryParse(items[0], out var first, out _));
        Assert.Equal(new DeflateOffer(true, true, false, 0), first);
        Assert.True(DeflateOffer.TryParse(items[1], out var second, out _));
        Assert.Equal(new DeflateOffer(true, false, true, 10), second);
        Assert.False(DeflateOffer.TryParse(ExtensionItem.ParseHeader("permessage-deflate; server_max_window_bits=8")[0], out _, out _));
        Assert.False(DeflateOffer.TryParse(ExtensionItem.ParseHeader("permessage-deflate; foo")[0], out _, out _));
    }

    [Theory]
    [InlineData(1, "permessage-deflate; client_max_window_bits", "permessage-deflate")]
    [InlineData(2, "permessage-deflate; client_max_window_bits", "permessage-deflate; client_no_context_takeover")]
    [InlineData(3, "permessage-deflate; client_max_window_bits", "permessage-deflate; client_max_window_bits=9")]
    [InlineData(3, "permessage-deflate", null)]
    [InlineData(5, "permessage-deflate; client_max_window_bits; server_no_context_takeover", "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9")]
    [InlineData(7, "permessage-deflate", "permessage-deflate; client_no_context_takeover")]
    [InlineData(7, "permessage-deflate; client_max_window_bits", "permessage-deflate; client_no_context_takeover; client_max_window_bits=9")]
    public void The_server_answers_of_section_13_follow_wstests_accept_functions(int subsection, string offer, string? answer)
    {
        var setup = Catalogue.Find($"13.{subsection}.1")!.Deflate!;
        var offers = ExtensionItem.ParseHeader(offer).Select(i => { Assert.True(DeflateOffer.TryParse(i, out var o, out _)); return o; }).ToList();
        Assert.Equal(answer, setup.Accept(offers)?.ToHeader());
    }

    [Fact]
    public void A_server_response_sets_both_directions_of_the_clients_session()
    {
        var item = ExtensionItem.ParseHeader("permessage-deflate; server_max_window_bits=9; client_no_context_takeover; client_max_window_bits=10")[0];
        Assert.True(DeflateResponse.TryParse(item, out var r, out _));
        Assert.Equal(new DeflateResponse(10, true, 9, false), r);
        using var session = r.CreateClientSession("x");
        Assert.Equal(10, session.Deflater.WindowBits);
        Assert.True(session.Deflater.NoContextTakeover);
        Assert.False(DeflateResponse.TryParse(ExtensionItem.ParseHeader("permessage-deflate; client_max_window_bits")[0], out _, out _));
    }
}
