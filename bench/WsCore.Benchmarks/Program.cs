using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace WsCore.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project bench/WsCore.Benchmarks -- --filter '*'</c> (see bench/README.md).
/// Every benchmark reports allocated bytes (MemoryDiagnoser), and median and minimum times.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        // Median and Min next to the Mean: on a busy shared machine they are the more stable summaries.
        IConfig config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
