using ConformanceRunner.Cases;

namespace ConformanceRunner.Tests;

/// <summary>The case catalogue: wstest's numbering, counts and pattern rules.</summary>
public class CatalogueTests
{
    /// <summary>Cases per subsection in wstest 0.8 for sections 1-7, 9, 10 (301) and 12, 13 (216): 517 in all.</summary>
    private static readonly Dictionary<string, int> WstestCounts = new()
    {
        ["1.1"] = 8, ["1.2"] = 8, ["2"] = 11, ["3"] = 7, ["4.1"] = 5, ["4.2"] = 5, ["5"] = 20,
        ["6.1"] = 3, ["6.2"] = 4, ["6.3"] = 2, ["6.4"] = 4, ["6.5"] = 5, ["6.6"] = 11, ["6.7"] = 4, ["6.8"] = 2, ["6.9"] = 4,
        ["6.10"] = 3, ["6.11"] = 5, ["6.12"] = 8, ["6.13"] = 5, ["6.14"] = 10, ["6.15"] = 1, ["6.16"] = 3, ["6.17"] = 5,
        ["6.18"] = 5, ["6.19"] = 5, ["6.20"] = 7, ["6.21"] = 8, ["6.22"] = 34, ["6.23"] = 7,
        ["7.1"] = 6, ["7.3"] = 6, ["7.5"] = 1, ["7.7"] = 13, ["7.9"] = 9, ["7.13"] = 2,
        ["9.1"] = 6, ["9.2"] = 6, ["9.3"] = 9, ["9.4"] = 9, ["9.5"] = 6, ["9.6"] = 6, ["9.7"] = 6, ["9.8"] = 6, ["10.1"] = 1,
        ["12.1"] = 18, ["12.2"] = 18, ["12.3"] = 18, ["12.4"] = 18, ["12.5"] = 18,
        ["13.1"] = 18, ["13.2"] = 18, ["13.3"] = 18, ["13.4"] = 18, ["13.5"] = 18, ["13.6"] = 18, ["13.7"] = 18,
    };

    [Fact]
    public void The_catalogue_has_wstests_517_cases_per_subsection()
    {
        Assert.Equal(517, Catalogue.All.Count);
        Assert.Equal(Catalogue.All.Count, Catalogue.All.Select(c => c.Id).Distinct().Count());
        var bySubsection = Catalogue.All.GroupBy(c =>
        {
            var parts = c.Id.Split('.');
            return parts.Length == 2 ? parts[0] : parts[0] + "." + parts[1];
        }).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(WstestCounts.OrderBy(kv => kv.Key), bySubsection.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void Ids_are_in_numeric_order()
    {
        var ids = Catalogue.All.Select(c => c.Id).ToList();
        Assert.Equal("1.1.1", ids[0]);
        Assert.Equal("13.7.18", ids[^1]);
        Assert.True(ids.IndexOf("12.1.1") > ids.IndexOf("10.1.1"));
        Assert.True(ids.IndexOf("12.1.10") > ids.IndexOf("12.1.9"));
        Assert.True(ids.IndexOf("2.10") > ids.IndexOf("2.9"));
        Assert.True(ids.IndexOf("6.10.1") > ids.IndexOf("6.9.4"));
    }

    [Theory]
    [InlineData("1.*", "1.1.1", true)]
    [InlineData("1.*", "10.1.1", false)]
    [InlineData("*", "9.8.6", true)]
    [InlineData("6.4.*", "6.4.3", true)]
    [InlineData("7.1.6", "7.1.6", true)]
    [InlineData("7.1", "7.1.6", false)]
    public void Patterns_follow_wstest(string pattern, string id, bool matches)
        => Assert.Equal(matches, Catalogue.Matches(pattern, id));

    [Fact]
    public void Exclusions_apply_after_inclusion()
    {
        var selected = Catalogue.Select(new[] { "*" }, new[] { "9.*", "6.*" });
        Assert.Equal(517 - 54 - 145, selected.Count);
        Assert.DoesNotContain(selected, c => c.Id.StartsWith("9.", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_7_1_6_and_7_13_x_are_informational()
        => Assert.Equal(new[] { "7.1.6", "7.13.1", "7.13.2" }, Catalogue.All.Where(c => c.Informational).Select(c => c.Id));
}
