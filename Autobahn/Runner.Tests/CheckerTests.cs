using ConformanceRunner.Reporting;

namespace ConformanceRunner.Tests;

/// <summary>The check and compare verbs on small wstest-shaped indexes.</summary>
public sealed class CheckerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wscore-check").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Index(string name, params (string Id, string Behavior, string Close)[] cases)
    {
        var body = string.Join(",", cases.Select(c =>
            $"\"{c.Id}\": {{\"behavior\": \"{c.Behavior}\", \"behaviorClose\": \"{c.Close}\", \"duration\": 3, \"remoteCloseCode\": null, \"reportfile\": \"x.json\"}}"));
        string path = Path.Combine(_dir, name + ".json");
        File.WriteAllText(path, $"{{\"agent\": {{{body}}}}}");
        return path;
    }

    private static int Check(string path, bool allowUnimplemented = false) => Checker.Check(path, allowUnimplemented, TextWriter.Null);

    [Fact]
    public void All_ok_with_informational_where_defined_passes()
        => Assert.Equal(0, Check(Index("a", ("1.1.1", "OK", "OK"), ("7.1.6", "INFORMATIONAL", "INFORMATIONAL"), ("7.13.2", "INFORMATIONAL", "INFORMATIONAL"))));

    [Theory]
    [InlineData("3.2", "NON-STRICT", "OK")]
    [InlineData("1.1.1", "INFORMATIONAL", "OK")]
    [InlineData("1.1.1", "OK", "UNCLEAN")]
    [InlineData("7.9.1", "OK", "WRONG CODE")]
    [InlineData("2.1", "OK", "FAILED BY CLIENT")]
    [InlineData("9.1.1", "FAILED", "OK")]
    public void Anything_else_fails(string id, string behavior, string close)
        => Assert.Equal(1, Check(Index("b", ("1.2.1", "OK", "OK"), (id, behavior, close))));

    [Fact]
    public void Unimplemented_passes_only_when_allowed()
    {
        var path = Index("c", ("12.1.1", "UNIMPLEMENTED", "UNIMPLEMENTED"), ("1.1.1", "OK", "OK"));
        Assert.Equal(1, Check(path));
        Assert.Equal(0, Check(path, allowUnimplemented: true));
    }

    [Fact]
    public void Compare_counts_verdict_differences_only()
    {
        var a = Index("d", ("1.1.1", "OK", "OK"), ("3.2", "OK", "OK"));
        var b = Index("e", ("1.1.1", "OK", "OK"), ("3.2", "OK", "OK"));
        Assert.Equal(0, Checker.Compare(a, b, TextWriter.Null));
        var c = Index("f", ("1.1.1", "OK", "OK"), ("3.2", "NON-STRICT", "OK"));
        Assert.Equal(1, Checker.Compare(a, c, TextWriter.Null));
    }
}
