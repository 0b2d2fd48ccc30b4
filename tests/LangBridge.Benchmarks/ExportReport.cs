using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using BenchmarkDotNet.Reports;
using LangBridge.Onnx.Export;

namespace LangBridge.Benchmarks;

/// <summary>
/// Writes artifacts/bench/export.json: export time (BenchmarkDotNet mean when available, and a direct
/// single-run measurement) and the peak memory increase during one export, as ratios to the goals
/// (under 5 s; peak under 3× the weights' size).
/// </summary>
public static class ExportReport
{
    public const double TimeGoalSeconds = 5.0;
    public const double PeakRatioGoal = 3.0;

    /// <summary>Measurements of one cold export, taken in a fresh process.</summary>
    public sealed record ColdExport(long PeakIncreaseBytes, string Method, long ManagedAllocatedBytes, double Seconds, long FileBytes);

    /// <summary>
    /// Child-process mode (--measure-export-cold): one export in a fresh process, so memory the GC kept
    /// from earlier work cannot hide the increase. Prints the measurement as one JSON line.
    /// </summary>
    public static void MeasureColdInThisProcess()
    {
        var model = BenchModels.Vit10M();
        var path = Path.Combine(Path.GetTempPath(), $"langbridge-export-cold-{Environment.ProcessId}.onnx");
        try
        {
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            var peak = new PeakMemory();
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var sw = Stopwatch.StartNew();
            OnnxExporter.Export(model, ExportBenchmark.Input, new OnnxExportOptions { GraphName = "vit10m", OutputNames = ["latents"] }).Save(path);
            sw.Stop();
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            var (increase, method) = peak.Stop();
            Console.WriteLine(JsonSerializer.Serialize(new ColdExport(increase, method, allocated, sw.Elapsed.TotalSeconds, new FileInfo(path).Length)));
        }
        finally
        {
            if (File.Exists(path)) File.Delete(path);
        }
    }

    private static ColdExport MeasureColdInChildProcess()
    {
        var self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(typeof(ExportReport).Assembly.Location);
        psi.ArgumentList.Add("--measure-export-cold");
        using var p = Process.Start(psi)!;
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        var json = lines.LastOrDefault(l => l.TrimStart().StartsWith('{'))
                   ?? throw new InvalidOperationException($"The cold-export measurement process printed no result (exit {p.ExitCode}).");
        return JsonSerializer.Deserialize<ColdExport>(json)!;
    }

    public static string Write(Summary? summary)
    {
        var model = BenchModels.Vit10M();
        long parameters = BenchModels.ParameterCount(model);
        long weightBytes = BenchModels.WeightBytes(model);
        var path = Path.Combine(Path.GetTempPath(), $"langbridge-export-report-{Environment.ProcessId}.onnx");
        try
        {
            var cold = MeasureColdInChildProcess();

            // A warm single-run time (BenchmarkDotNet's mean is preferred when it ran).
            OnnxExporter.Export(model, ExportBenchmark.Input).Save(path);
            var sw = Stopwatch.StartNew();
            OnnxExporter.Export(model, ExportBenchmark.Input, new OnnxExportOptions { GraphName = "vit10m", OutputNames = ["latents"] }).Save(path);
            sw.Stop();

            double? bdnMeanSeconds = null;
            var report = summary?.Reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Type == typeof(ExportBenchmark) && r.ResultStatistics is not null);
            if (report is not null) bdnMeanSeconds = report.ResultStatistics!.Mean / 1e9;
            double timeSeconds = bdnMeanSeconds ?? sw.Elapsed.TotalSeconds;
            double peakRatio = (double)cold.PeakIncreaseBytes / weightBytes;

            var json = new
            {
                benchmark = "export",
                model = "ViT encoder (patch 16, 224x224x3, dim 384, 6 blocks)",
                parameters,
                weightBytes,
                onnxFileBytes = cold.FileBytes,
                exportSeconds = timeSeconds,
                exportSecondsSource = bdnMeanSeconds is null ? "single warm run" : "BenchmarkDotNet mean",
                exportSecondsSingleRun = sw.Elapsed.TotalSeconds,
                exportSecondsColdFirstRun = cold.Seconds,
                managedAllocatedBytesColdRun = cold.ManagedAllocatedBytes,
                peakMemoryIncreaseBytes = cold.PeakIncreaseBytes,
                peakMemoryMethod = cold.Method + ", first export in a fresh process",
                peakToWeightsRatio = peakRatio,
                goals = new { exportSecondsBelow = TimeGoalSeconds, peakToWeightsRatioBelow = PeakRatioGoal },
                timeRatioToGoal = timeSeconds / TimeGoalSeconds,
                peakRatioToGoal = peakRatio / PeakRatioGoal,
                meetsTimeGoal = timeSeconds < TimeGoalSeconds,
                meetsPeakGoal = peakRatio < PeakRatioGoal,
                machine = new { processors = Environment.ProcessorCount, os = RuntimeInformation.OSDescription, runtime = RuntimeInformation.FrameworkDescription },
                measuredAtUtc = DateTime.UtcNow.ToString("u"),
            };
            var outPath = Path.Combine(RepoPaths.BenchDir, "export.json");
            var tmp = outPath + ".tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
            File.Move(tmp, outPath, overwrite: true);
            Console.WriteLine($"export: {parameters:N0} parameters ({weightBytes / 1e6:F1} MB), {timeSeconds:F3} s ({json.exportSecondsSource}), " +
                              $"peak +{cold.PeakIncreaseBytes / 1e6:F1} MB = {peakRatio:F2}x weights ({json.peakMemoryMethod}) -> {outPath}");
            return outPath;
        }
        finally
        {
            if (File.Exists(path)) File.Delete(path);
            model.Dispose();
        }
    }

    /// <summary>
    /// Peak resident-memory increase over the baseline at construction. On Linux it resets the kernel's
    /// high-water mark (/proc/self/clear_refs ← 5) and reads VmHWM; elsewhere it samples the working set.
    /// </summary>
    private sealed class PeakMemory
    {
        private readonly long _baseline;
        private readonly bool _kernel;
        private readonly Thread? _sampler;
        private volatile bool _stop;
        private long _sampledPeak;

        public PeakMemory()
        {
            _baseline = CurrentRss();
            _kernel = OperatingSystem.IsLinux() && TryResetHighWaterMark();
            if (!_kernel)
            {
                _sampledPeak = _baseline;
                _sampler = new Thread(() =>
                {
                    while (!_stop)
                    {
                        long rss = CurrentRss();
                        if (rss > Interlocked.Read(ref _sampledPeak)) Interlocked.Exchange(ref _sampledPeak, rss);
                        Thread.Sleep(2);
                    }
                }) { IsBackground = true };
                _sampler.Start();
            }
        }

        public (long Increase, string Method) Stop()
        {
            if (_kernel) return (Math.Max(0, ReadStatusKb("VmHWM:") * 1024 - _baseline), "VmHWM after clear_refs (kernel peak RSS)");
            _stop = true;
            _sampler!.Join();
            return (Math.Max(0, Interlocked.Read(ref _sampledPeak) - _baseline), "sampled working set (2 ms)");
        }

        private static bool TryResetHighWaterMark()
        {
            try { File.WriteAllText("/proc/self/clear_refs", "5"); return ReadStatusKb("VmHWM:") > 0; }
            catch (Exception) { return false; }
        }

        private static long CurrentRss() => OperatingSystem.IsLinux() ? ReadStatusKb("VmRSS:") * 1024 : Process.GetCurrentProcess().WorkingSet64;

        private static long ReadStatusKb(string key)
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                    return long.Parse(line[key.Length..].Trim().Split(' ')[0]);
            return 0;
        }
    }
}
