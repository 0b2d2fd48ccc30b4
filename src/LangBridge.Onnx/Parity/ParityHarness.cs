using LangBridge.Onnx.Export;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Parity;

/// <summary>One set of inputs (one tensor per graph input, batch first).</summary>
public sealed record ParityCase(string Name, IReadOnlyList<Tensor> Inputs)
{
    public ParityCase(string name, Tensor input) : this(name, [input]) { }
    public int Batch => (int)Inputs[0].shape[0];
}

/// <summary>Computes, from a case's inputs, the reference's top-2 score gap per element of an integer output.</summary>
public delegate Tensor DecisionGap(IReadOnlyList<Tensor> inputs);

public sealed record ParityOptions
{
    public ParityTolerance DefaultTolerance { get; init; } = ParityTolerance.Fp32;
    /// <summary>Per-output tolerance overrides, by graph output name.</summary>
    public IReadOnlyDictionary<string, ParityTolerance> Tolerances { get; init; } = new Dictionary<string, ParityTolerance>();
    /// <summary>Integer-output differences whose reference top-2 gap is below this are near-ties (counted, not failed).</summary>
    public double NearTieGap { get; init; } = ParityTolerance.NearTieGap;
    /// <summary>Top-2 gap providers for integer outputs, by output name.</summary>
    public IReadOnlyDictionary<string, DecisionGap> DecisionGaps { get; init; } = new Dictionary<string, DecisionGap>();
    public IReadOnlyList<GraphOptimizationLevel> OptimizationLevels { get; init; } =
        [GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL];
    /// <summary>Name in the report; defaults to the graph name.</summary>
    public string? ModelName { get; init; }

    public ParityTolerance ToleranceFor(string output) => Tolerances.TryGetValue(output, out var t) ? t : DefaultTolerance;
}

/// <summary>
/// Parity between a TorchSharp module (eval mode, no grad) and its exported ONNX graph run by ONNX
/// Runtime (CPU) at each optimization level (default: disabled and fully enabled).
/// </summary>
public static class ParityHarness
{
    /// <summary>
    /// Entry point: compares <paramref name="module"/> with <paramref name="export"/> on every case.
    /// For an <see cref="IDecisionGapSource"/> the near-tie gap of its first output is provided automatically.
    /// </summary>
    public static ParityReport Verify(nn.Module module, OnnxExportResult export, IEnumerable<ParityCase> cases, ParityOptions? options = null)
    {
        options ??= new ParityOptions();
        if (module is IDecisionGapSource q && export.OutputNames.Count > 0 && !options.DecisionGaps.ContainsKey(export.OutputNames[0]))
        {
            var gaps = new Dictionary<string, DecisionGap>(options.DecisionGaps) { [export.OutputNames[0]] = ins => q.DecisionGap(ins[0]) };
            options = options with { DecisionGaps = gaps };
        }
        options = options with { ModelName = options.ModelName ?? export.Model.Graph.Name };
        return Verify(export.ToBytes(), TorchForward.Of(module), cases, options, (int)export.Model.OpsetImport[0].Version);
    }

    /// <summary>Compares a forward function with a serialised ONNX model on every case.</summary>
    public static ParityReport Verify(byte[] onnxModel, Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>> torchForward,
        IEnumerable<ParityCase> cases, ParityOptions? options = null, int opset = 0)
    {
        options ??= new ParityOptions();
        var caseList = cases.ToList();
        var name = options.ModelName ?? "model";
        var runners = options.OptimizationLevels.Select(l => new OrtRunner(onnxModel, l, name)).ToList();
        try
        {
            var runs = new List<ParityRun>();
            foreach (var c in caseList)
            {
                using var scope = NewDisposeScope();
                IReadOnlyList<Tensor> expected;
                using (no_grad()) expected = torchForward(c.Inputs);
                var gaps = new Dictionary<string, float[]>();
                foreach (var runner in runners)
                {
                    var actual = runner.Run(c.Inputs);
                    var outs = new List<OutputParity>();
                    for (int i = 0; i < actual.Count; i++)
                    {
                        if (i >= expected.Count)
                        {
                            outs.Add(new OutputParity { Name = actual[i].Name, DType = "?", Shape = actual[i].Shape, Problem = $"the module returned only {expected.Count} outputs" });
                            continue;
                        }
                        outs.Add(Compare(actual[i], expected[i], c, options, gaps));
                    }
                    if (expected.Count > actual.Count)
                        outs.Add(new OutputParity { Name = $"output_{actual.Count}", DType = "?", Shape = [], Problem = $"the graph has {actual.Count} outputs, the module returned {expected.Count}" });
                    runs.Add(new ParityRun { Case = c.Name, Optimization = runner.Level.ToString(), Batch = c.Batch, Outputs = outs, Passed = outs.All(o => o.Passed) });
                }
            }
            return new ParityReport
            {
                Model = name,
                Opset = opset,
                NearTieGap = options.NearTieGap,
                Results = runs,
                Runs = runs.Count,
                FailedRuns = runs.Count(r => !r.Passed),
                Passed = runs.Count > 0 && runs.All(r => r.Passed),
                NearTies = runs.Sum(r => r.Outputs.Sum(o => o.NearTies ?? 0)),
            };
        }
        finally
        {
            foreach (var r in runners) r.Dispose();
        }
    }

    private static OutputParity Compare(OrtOutput actual, Tensor expectedTensor, ParityCase c, ParityOptions options, Dictionary<string, float[]> gapCache)
    {
        var expShape = expectedTensor.shape;
        bool isInt = actual.Longs is not null;
        var dtype = isInt ? "int64" : "float32";
        if (!expShape.SequenceEqual(actual.Shape))
            return new OutputParity { Name = actual.Name, DType = dtype, Shape = actual.Shape, Problem = $"shape [{string.Join(",", actual.Shape)}] ≠ reference [{string.Join(",", expShape)}]" };

        using var scope = NewDisposeScope();
        var exp = expectedTensor.detach().cpu().contiguous();
        if (isInt)
        {
            if (exp.dtype != ScalarType.Int64)
                return new OutputParity { Name = actual.Name, DType = dtype, Shape = actual.Shape, Problem = $"type int64 ≠ reference {exp.dtype}" };
            var e = exp.data<long>().ToArray();
            var a = actual.Longs!;
            float[]? gap = null;
            long mismatches = 0, ties = 0;
            for (int i = 0; i < a.Length; i++)
            {
                if (a[i] == e[i]) continue;
                if (gap is null && options.DecisionGaps.TryGetValue(actual.Name, out var provider))
                {
                    if (!gapCache.TryGetValue(actual.Name, out gap))
                    {
                        using (no_grad()) gap = provider(c.Inputs).detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
                        gapCache[actual.Name] = gap;
                    }
                }
                if (gap is not null && gap[i] < options.NearTieGap) ties++; else mismatches++;
            }
            return new OutputParity
            {
                Name = actual.Name, DType = dtype, Shape = actual.Shape, Elements = a.Length,
                Mismatches = mismatches, NearTies = ties, Passed = mismatches == 0,
                Problem = mismatches == 0 ? null : $"{mismatches} of {a.Length} ids differ (not near-ties)",
            };
        }
        else
        {
            if (exp.dtype != ScalarType.Float32)
                return new OutputParity { Name = actual.Name, DType = dtype, Shape = actual.Shape, Problem = $"type float32 ≠ reference {exp.dtype}" };
            var e = exp.data<float>().ToArray();
            var a = actual.Floats!;
            var tol = options.ToleranceFor(actual.Name);
            var abs = new double[a.Length];
            var rel = new double[a.Length];
            long outOfTol = 0, nan = 0;
            for (int i = 0; i < a.Length; i++)
            {
                double av = a[i], ev = e[i];
                if (double.IsNaN(av) || double.IsNaN(ev))
                {
                    // NaN never passes, not even against NaN: a model producing NaN is broken, not "equal".
                    nan++; outOfTol++; abs[i] = rel[i] = 0;
                    continue;
                }
                double d = av == ev ? 0 : Math.Abs(av - ev);                   // equal infinities → 0
                if (double.IsNaN(d)) d = double.PositiveInfinity;
                abs[i] = d;
                rel[i] = d == 0 ? 0 : d / Math.Max(Math.Abs(ev), 1e-30);
                if (!(d <= tol.Atol + tol.Rtol * Math.Abs(ev))) outOfTol++;
            }
            var absStats = Stats(abs);
            var relStats = Stats(rel);
            return new OutputParity
            {
                Name = actual.Name, DType = dtype, Shape = actual.Shape, Elements = a.Length,
                Atol = tol.Atol, Rtol = tol.Rtol,
                MaxAbsError = absStats.Max, MeanAbsError = absStats.Mean, MedianAbsError = absStats.Median,
                MaxRelError = relStats.Max, MeanRelError = relStats.Mean, MedianRelError = relStats.Median,
                OutOfTolerance = outOfTol, NaNs = nan, Passed = outOfTol == 0,
                Problem = outOfTol == 0 ? null : (nan > 0 ? $"{nan} NaN values; " : "") + $"{outOfTol} of {a.Length} elements outside atol {tol.Atol:g3} + rtol {tol.Rtol:g3}·|ref| (max abs {absStats.Max:g3}, max rel {relStats.Max:g3})",
            };
        }
    }

    private static (double Max, double Mean, double Median) Stats(double[] values)
    {
        if (values.Length == 0) return (0, 0, 0);
        double max = 0, sum = 0;
        foreach (var v in values) { if (v > max) max = v; sum += v; }
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
        return (max, sum / n, median);
    }
}

/// <summary>A module whose exported graph has more inputs or outputs than a forward signature carries (a decoder with a key/value cache).</summary>
public interface IParityForward
{
    /// <summary>The graph's outputs for its inputs, in the exported graph's order, computed in TorchSharp.</summary>
    IReadOnlyList<Tensor> ParityForward(IReadOnlyList<Tensor> inputs);
}

/// <summary>Adapts TorchSharp modules to the harness's forward signature.</summary>
public static class TorchForward
{
    /// <summary>
    /// Forward of a module with one tensor input and one tensor or tuple-of-two output, or two tensor inputs and one
    /// tensor output, or any <see cref="IParityForward"/>.
    /// </summary>
    public static Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>> Of(nn.Module module) => module switch
    {
        IParityForward p => p.ParityForward,
        nn.Module<Tensor, Tensor> m => ins => [m.call(Single(ins))],
        nn.Module<Tensor, (Tensor, Tensor)> m => ins => { var (a, b) = m.call(Single(ins)); return [a, b]; },
        nn.Module<Tensor, Tensor, Tensor> m => ins => ins.Count == 2
            ? [m.call(ins[0], ins[1])]
            : throw new ArgumentException($"The module takes two inputs, {ins.Count} were given."),
        _ => throw new NotSupportedException($"Module type {module.GetType().FullName} has no one- or two-tensor forward; pass a forward function."),
    };

    private static Tensor Single(IReadOnlyList<Tensor> ins) =>
        ins.Count == 1 ? ins[0] : throw new ArgumentException($"The module takes one input, {ins.Count} were given.");
}
