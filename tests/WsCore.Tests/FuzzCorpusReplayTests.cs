using WsCore.Fuzz;

namespace WsCore.Tests;

/// <summary>
/// Replays every fuzz seed (fuzz/corpus/TARGET/*) and every past crash (fuzz/regressions/TARGET/*) through the same
/// target code and oracle that AFL++ runs, so a fixed bug stays fixed and the seeds stay meaningful.
/// </summary>
public class FuzzCorpusReplayTests
{
    public static TheoryData<string, string> CorpusFiles() => Files("corpus");

    public static TheoryData<string, string> RegressionFiles() => Files("regressions");

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Seed_passes_the_oracle(string target, string file) => Replay(target, Path.Combine("fuzz", "corpus", target, file));

    [Theory]
    [MemberData(nameof(RegressionFiles))]
    public void Past_crash_passes_the_oracle(string target, string file)
    {
        if (target.Length == 0) return; // no regressions committed yet (xunit needs at least one row)
        Replay(target, Path.Combine("fuzz", "regressions", target, file));
    }

    [Fact]
    public void Every_target_has_seeds_and_every_folder_names_a_target()
    {
        foreach (IFuzzTarget t in FuzzTargets.All)
        {
            string dir = Path.Combine(RepoRoot, "fuzz", "corpus", t.Name);
            Assert.True(Directory.Exists(dir) && Directory.GetFiles(dir).Length > 0, $"no seeds for {t.Name}");
        }
        foreach (string kind in new[] { "corpus", "regressions" })
        {
            string root = Path.Combine(RepoRoot, "fuzz", kind);
            if (!Directory.Exists(root)) continue;
            foreach (string dir in Directory.GetDirectories(root))
                Assert.NotNull(FuzzTargets.Find(Path.GetFileName(dir)));
        }
    }

    [Fact]
    public void The_oracle_reports_a_broken_invariant_as_FuzzInvariantException()
    {
        var broken = new ThrowingTarget();
        var e = Assert.Throws<FuzzInvariantException>(() => FuzzTargets.Run(broken, [1, 2, 3]));
        Assert.IsType<InvalidOperationException>(e.InnerException);
    }

    internal static void Replay(string target, string relativePath)
    {
        IFuzzTarget? t = FuzzTargets.Find(target);
        Assert.NotNull(t);
        FuzzTargets.Run(t, File.ReadAllBytes(Path.Combine(RepoRoot, relativePath)));
    }

    private static TheoryData<string, string> Files(string kind)
    {
        var data = new TheoryData<string, string>();
        string root = Path.Combine(RepoRoot, "fuzz", kind);
        string[] dirs = Directory.Exists(root) ? Directory.GetDirectories(root) : [];
        Array.Sort(dirs, StringComparer.Ordinal);
        foreach (string dir in dirs)
        {
            string[] files = Directory.GetFiles(dir);
            Array.Sort(files, StringComparer.Ordinal);
            foreach (string f in files)
            {
                if (Path.GetFileName(f) == "README.md") continue;
                data.Add(Path.GetFileName(dir), Path.GetFileName(f));
            }
        }
        if (data.Count == 0) data.Add("", "");
        return data;
    }

    /// <summary>The repository root: the first directory above the test binaries that holds WsCore.sln.</summary>
    internal static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "WsCore.sln"))) return d.FullName;
        }
        throw new InvalidOperationException("WsCore.sln not found above " + AppContext.BaseDirectory);
    }

    private sealed class ThrowingTarget : IFuzzTarget
    {
        public string Name => "throwing";
        public void Run(ReadOnlySpan<byte> input) => throw new InvalidOperationException("boom");
    }
}
