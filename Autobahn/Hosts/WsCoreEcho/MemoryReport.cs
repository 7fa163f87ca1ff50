using System.Runtime;

namespace WsCore.Bench;

/// <summary>
/// <c>--memory-report</c> (bench/idle-memory.sh): a background thread reads commands from standard input. <c>gc</c> runs
/// full, compacting, blocking collections and prints one line,
/// <c>memory managed=B heap=B committed=B rss=B servergc=BOOL latency=MODE</c>: the managed heap after the collection
/// (<see cref="GC.GetTotalMemory(bool)"/>), the GC's heap size and committed bytes, and this process's resident set
/// afterwards (VmRSS); latency Batch means non-concurrent. <c>rss</c> prints <c>rss=B</c> without collecting. Off unless the option is given; the echo
/// servers do nothing else differently.
/// </summary>
internal static class MemoryReport
{
    public static void StartIfRequested(string[] args)
    {
        if (Array.IndexOf(args, "--memory-report") < 0) return;
        var thread = new Thread(Run) { IsBackground = true, Name = "memory-report" };
        thread.Start();
    }

    // MEMORY_REPORT_AGGRESSIVE=1: gc runs an aggressive collection, which also decommits the memory the GC keeps for reuse.
    private static readonly bool s_aggressive = Environment.GetEnvironmentVariable("MEMORY_REPORT_AGGRESSIVE") == "1";

    private static void Run()
    {
        string? line;
        while ((line = Console.In.ReadLine()) is not null)
        {
            switch (line.Trim())
            {
                case "gc":
                    GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                    GC.Collect(2, s_aggressive ? GCCollectionMode.Aggressive : GCCollectionMode.Forced, blocking: true, compacting: true);
                    GC.WaitForPendingFinalizers();
                    long managed = GC.GetTotalMemory(forceFullCollection: true);
                    GCMemoryInfo info = GC.GetGCMemoryInfo(GCKind.Any);
                    Console.WriteLine($"memory managed={managed} heap={info.HeapSizeBytes} committed={info.TotalCommittedBytes} rss={Rss()} servergc={GCSettings.IsServerGC} latency={GCSettings.LatencyMode}");
                    break;
                case "rss":
                    Console.WriteLine($"rss={Rss()}");
                    break;
            }
        }
    }

    /// <summary>VmRSS from /proc/self/status, in bytes (0 where there is no /proc).</summary>
    private static long Rss()
    {
        try
        {
            foreach (string l in File.ReadLines("/proc/self/status"))
            {
                if (!l.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                string kb = l.Substring(6).Trim().Split(' ')[0];
                return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException) { }
        return 0;
    }
}
