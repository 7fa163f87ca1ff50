using System.Text.RegularExpressions;

namespace ConformanceRunner.Cases;

/// <summary>
/// Every case the runner knows, under wstest's numbers, in wstest's order (numeric by id tuple). Sections live in
/// one file each (Section1.cs ...); a later section (12, 13: permessage-deflate) adds a file and a line here.
/// </summary>
internal static class Catalogue
{
    private static List<CaseDef>? _all;

    public static IReadOnlyList<CaseDef> All => _all ??= Build();

    private static List<CaseDef> Build()
    {
        var all = new List<CaseDef>();
        all.AddRange(Section1.Cases());
        all.AddRange(Section2.Cases());
        all.AddRange(Section3.Cases());
        all.AddRange(Section4.Cases());
        all.AddRange(Section5.Cases());
        all.AddRange(Section6.Cases());
        all.AddRange(Section7.Cases());
        all.AddRange(Section9.Cases());
        all.AddRange(Section10.Cases());
        all.AddRange(Section12and13.Cases());
        all.Sort(CompareIds);
        return all;
    }

    public static int CompareIds(CaseDef a, CaseDef b) => CompareTuples(a.Tuple, b.Tuple);

    public static int CompareIds(string a, string b)
        => CompareTuples(a.Split('.').Select(int.Parse).ToArray(), b.Split('.').Select(int.Parse).ToArray());

    private static int CompareTuples(int[] x, int[] y)
    {
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
            if (x[i] != y[i]) return x[i].CompareTo(y[i]);
        return x.Length.CompareTo(y.Length);
    }

    public static CaseDef? Find(string id) => All.FirstOrDefault(c => c.Id == id);

    /// <summary>wstest's pattern rule: "*" matches anything; a pattern with "*" matches ids from their start
    /// ("1.*" takes 1.1.1 but not 10.1.1); a pattern without "*" names one case.</summary>
    public static bool Matches(string pattern, string id)
    {
        pattern = pattern.Trim();
        if (!pattern.Contains('*')) return pattern == id;
        var regex = "^" + Regex.Escape(pattern).Replace("\\*", ".*");
        return Regex.IsMatch(id, regex);
    }

    /// <summary>The cases selected by <paramref name="include"/> minus <paramref name="exclude"/>, in catalogue order.</summary>
    public static List<CaseDef> Select(IEnumerable<string> include, IEnumerable<string> exclude)
    {
        var inc = include.Where(s => s.Trim().Length > 0).ToList();
        var exc = exclude.Where(s => s.Trim().Length > 0).ToList();
        return All.Where(c => inc.Any(p => Matches(p, c.Id)) && !exc.Any(p => Matches(p, c.Id))).ToList();
    }

    /// <summary>The ids the suite itself calls informational (their verdict is INFORMATIONAL by design).</summary>
    public static bool IsInformational(string id) => Find(id)?.Informational ?? false;
}
