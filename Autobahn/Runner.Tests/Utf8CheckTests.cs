using ConformanceRunner.Cases;
using ConformanceRunner.Wire;

namespace ConformanceRunner.Tests;

/// <summary>The runner's UTF-8 check, against the validity each 6.x decoder case claims.</summary>
public class Utf8CheckTests
{
    [Fact]
    public void Every_decoder_case_payload_has_the_validity_its_case_claims()
    {
        foreach (var (title, items) in Section6.DecoderGroups())
            foreach (var (valid, octets) in items)
                Assert.True(valid == Utf8Check.IsValid(octets), $"{title}: {Convert.ToHexString(octets)}");
    }

    [Fact]
    public void Fails_fast_on_the_first_impossible_octet_even_when_fed_piecewise()
    {
        var check = new Utf8Check();
        Assert.True(check.Feed(Convert.FromHexString("cebae1bdb9cf83cebcceb5f4")));
        Assert.False(check.IsComplete);
        Assert.False(check.Feed(new byte[] { 0x90 }));
        Assert.True(check.Failed);
    }

    [Fact]
    public void A_code_point_split_across_pieces_is_accepted()
    {
        var bytes = "\u00b5\u20ac\U00024B62"u8.ToArray();
        var check = new Utf8Check();
        foreach (var b in bytes) Assert.True(check.Feed(new[] { b }));
        Assert.True(check.IsComplete);
    }
}
