using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace LangBridge.Benchmarks;

/// <summary>
/// Runs the benchmarks with BenchmarkSwitcher. Usage:
///   dotnet run -c Release --project tests/LangBridge.Benchmarks -- --filter '*Export*'
/// Without --filter every benchmark runs (no interactive prompt). Benchmarks run in-process (the
/// TorchSharp native libraries are patched in this project's output folder, not in a generated one).
/// Extra options: --report-only (skip BenchmarkDotNet, write the JSON reports from direct measurements).
/// Each benchmark with a JSON report writes it under artifacts/bench/.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--measure-export-cold"))
        {
            ExportReport.MeasureColdInThisProcess();
            return 0;
        }
        bool reportOnly = args.Contains("--report-only");
        args = args.Where(a => a != "--report-only").ToArray();
        var summaries = new List<Summary>();
        if (!reportOnly)
        {
            if (!args.Contains("--filter") && !args.Any(a => a.StartsWith("--list"))) args = [.. args, "--filter", "*"];
            var config = DefaultConfig.Instance
                .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
                .WithArtifactsPath(Path.Combine(RepoPaths.BenchDir, "BenchmarkDotNet"));
            summaries.AddRange(BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config));
        }

        // JSON reports: a benchmark's report is written when it ran, or with --report-only.
        bool Ran<T>() => summaries.Any(s => s.Reports.Any(r => r.BenchmarkCase.Descriptor.Type == typeof(T)));
        if (reportOnly || Ran<ExportBenchmark>())
            ExportReport.Write(summaries.FirstOrDefault(s => s.Reports.Any(r => r.BenchmarkCase.Descriptor.Type == typeof(ExportBenchmark))));
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
