using System.Diagnostics;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>How every benchmark times its cases: the median of repeats after a warm-up.</summary>
internal static class BenchTiming
{
    /// <summary>Warm-up the measured code gets before timing: at least one run and this long.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(0.5);

    /// <summary>
    /// Median wall time in seconds of <paramref name="repeats"/> runs after a warm-up of at least <see cref="WarmUp"/>;
    /// disposes what each run creates.
    /// </summary>
    public static double Median(int repeats, Func<object> body)
    {
        double Once()
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            body();
            return clock.Elapsed.TotalSeconds;
        }
        // One warm-up run is not enough for a sub-millisecond call: ONNX Runtime's first few runs of a
        // session take up to twice its steady-state time.
        var warming = Stopwatch.StartNew();
        do Once(); while (warming.Elapsed < WarmUp);
        var times = Enumerable.Range(0, Math.Max(1, repeats)).Select(_ => Once()).Order().ToArray();
        return times[times.Length / 2];
    }
}
