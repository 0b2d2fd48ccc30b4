using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Parity;
using LangBridge.Onnx.Proto;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Parity;

/// <summary>One model's three checks.</summary>
public sealed record PretrainedModelParity
{
    public required string Model { get; init; }
    public bool Passed { get; init; }
    /// <summary>"torch_vs_original", "export_vs_original", "embeddings_vs_original" → report.</summary>
    public required IReadOnlyDictionary<string, ParityReport> Checks { get; init; }
    public string? ToleranceNote { get; init; }
}

/// <summary>What <c>langbridge pretrained verify</c> writes to parity.json.</summary>
public sealed record PretrainedParityReport
{
    public bool Passed { get; init; }
    public required IReadOnlyList<PretrainedModelParity> Models { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>
/// Parity of the imported networks, three ways: (a) our TorchSharp module against ONNX Runtime
/// running the original file, (b) our own export of the module against the original file, at each
/// optimisation level (off and fully on, both graphs at the same level), (c) for MiniLM the sentence
/// embeddings (mean over the mask, L2-normalised) of the port against those of the original graph.
/// </summary>
public static class PretrainedParity
{
    /// <summary>Tolerance for the deep fp32 networks against the original graphs, per output name.</summary>
    public static ParityTolerance Fp32 => ParityTolerance.Fp32;

    public static PretrainedModelParity VerifyMiniLm(BertEncoder encoder, byte[] originalOnnx, WordPieceTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<string>> batches, ParityTolerance? tolerance = null)
    {
        var tol = tolerance ?? Fp32;
        var options = new ParityOptions { DefaultTolerance = tol, ModelName = "minilm" };
        var cases = batches.Select((texts, i) =>
        {
            var tb = tokenizer.EncodeBatch(texts);
            var ids = tensor(tb.InputIds, tb.Batch, tb.Length);
            var mask = tensor(tb.AttentionMask, tb.Batch, tb.Length);
            return (Name: $"batch{i}_b{tb.Batch}_s{tb.Length}", Ids: ids, Mask: mask, Types: zeros_like(ids));
        }).ToList();
        try
        {
            // (a) module vs original: the original takes (ids, mask, token types) and returns (hidden, pooled).
            var a = ParityHarness.Verify(originalOnnx, ins =>
            {
                var h = encoder.call(ins[0], ins[1]);
                return [h, encoder.Pool(h)];
            }, cases.Select(c => new ParityCase(c.Name, [c.Ids, c.Mask, c.Types])), options with { ModelName = "minilm: torch vs original" }, 13);

            // (b) our export vs original, the same optimisation level on both sides.
            var export = encoder.ExportOnnx().ToBytes();
            var b = PerLevel(export, originalOnnx, "minilm: export vs original", tol,
                cases.Select(c => (c.Name, (IReadOnlyList<Tensor>)[c.Ids, c.Mask], (IReadOnlyList<Tensor>)[c.Ids, c.Mask, c.Types])).ToList(),
                takeReferenceOutputs: 1);

            // (c) sentence embeddings: pooled on our side from our hidden states, on the other from the original's.
            var runs = new List<ParityRun>();
            using (var original = new OrtRunner(originalOnnx, GraphOptimizationLevel.ORT_ENABLE_ALL, "minilm original"))
            {
                foreach (var c in cases)
                {
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    var ours = BertEncoder.SentenceEmbedding(encoder.call(c.Ids, c.Mask), c.Mask);
                    var o = original.Run([c.Ids, c.Mask, c.Types])[0];
                    var theirs = BertEncoder.SentenceEmbedding(tensor(o.Floats!, o.Shape), c.Mask);
                    var stats = ErrorStats.Compare("sentence_embedding", ours, theirs, tol);
                    runs.Add(new ParityRun { Case = c.Name, Optimization = GraphOptimizationLevel.ORT_ENABLE_ALL.ToString(), Batch = (int)c.Ids.shape[0], Outputs = [stats], Passed = stats.Passed });
                }
            }
            var emb = Report("minilm: sentence embeddings vs original", 13, runs);
            return new PretrainedModelParity
            {
                Model = "minilm", Passed = a.Passed && b.Passed && emb.Passed,
                Checks = new Dictionary<string, ParityReport> { ["torch_vs_original"] = a, ["export_vs_original"] = b, ["embeddings_vs_original"] = emb },
            };
        }
        finally
        {
            foreach (var c in cases) { c.Ids.Dispose(); c.Mask.Dispose(); c.Types.Dispose(); }
        }
    }

    /// <summary>
    /// ResNet-18 against the original pair of graphs (preprocessing, then features) composed into one.
    /// <paramref name="images"/>: RGB [0, 255] (N, 3, 224, 224); the original runs one image at a time,
    /// our export also on the whole batch (the original then runs N times).
    /// </summary>
    public static PretrainedModelParity VerifyResNet18(ResNet18 model, ResNet18Files files, Tensor images, ParityTolerance? tolerance = null)
    {
        var tol = tolerance ?? Fp32;
        var original = ComposeOriginalResNet(files).ToByteArray();
        var options = new ParityOptions { DefaultTolerance = tol, ModelName = "resnet18" };
        long n = images.shape[0];
        var singles = Enumerable.Range(0, (int)n).Select(i => new ParityCase($"image{i}", images.narrow(0, i, 1))).ToList();
        var a = ParityHarness.Verify(original, ins => [model.call(ins[0]).reshape(-1, ResNet18.FeatureSize, 1, 1)], singles,
            options with { ModelName = "resnet18: torch vs original" }, 8);

        var export = model.ExportOnnx().ToBytes();
        var cases = singles.Select(s => (s.Name, (IReadOnlyList<Tensor>)[s.Inputs[0]], (IReadOnlyList<Tensor>)[s.Inputs[0]])).ToList();
        cases.Add(($"batch_of_{n}", [images], [images]));
        var b = PerLevel(export, original, "resnet18: export vs original", tol, cases, takeReferenceOutputs: 1,
            reshapeReference: t => t.reshape(-1, ResNet18.FeatureSize), batchOne: true);
        return new PretrainedModelParity
        {
            Model = "resnet18", Passed = a.Passed && b.Passed,
            Checks = new Dictionary<string, ParityReport> { ["torch_vs_original"] = a, ["export_vs_original"] = b },
        };
    }

    /// <summary>ResNetPreprocess.onnx then ResNet18.onnx as one graph: RGB [0, 255] (1, 3, 224, 224) → (1, 512, 1, 1).</summary>
    public static ModelProto ComposeOriginalResNet(ResNet18Files files)
    {
        var pre = OnnxModelIO.Load(files.PreprocessPath);
        var net = OnnxModelIO.Load(files.ModelPath);
        var netInput = net.Graph.Input.First(i => net.Graph.Initializer.All(t => t.Name != i.Name)).Name;
        var preOutput = pre.Graph.Output.Single().Name;
        var model = net.Clone();
        var g = model.Graph;
        g.Input.Clear();
        g.Input.AddRange(pre.Graph.Input);
        var preNodes = pre.Graph.Node.Select(n => n.Clone()).ToList();
        foreach (var node in preNodes)
            for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == preOutput) node.Output[i] = netInput;
        var nodes = preNodes.Concat(g.Node).ToList();
        g.Node.Clear();
        g.Node.AddRange(nodes);
        g.Initializer.AddRange(pre.Graph.Initializer);
        return model;
    }

    /// <summary>
    /// Runs <paramref name="candidate"/> and <paramref name="reference"/> in ONNX Runtime at each level and
    /// compares their outputs; with <paramref name="batchOne"/> the reference runs one row at a time.
    /// </summary>
    private static ParityReport PerLevel(byte[] candidate, byte[] reference, string name, ParityTolerance tol,
        IReadOnlyList<(string Name, IReadOnlyList<Tensor> CandidateInputs, IReadOnlyList<Tensor> ReferenceInputs)> cases,
        int takeReferenceOutputs, Func<Tensor, Tensor>? reshapeReference = null, bool batchOne = false)
    {
        var reports = new List<ParityReport>();
        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            using var refRunner = new OrtRunner(reference, level, name + " (original)");
            var byName = cases.ToDictionary(c => c.Name, c => c.ReferenceInputs);
            var options = new ParityOptions { DefaultTolerance = tol, ModelName = name, OptimizationLevels = [level] };
            reports.Add(ParityHarness.Verify(candidate, ins =>
            {
                var refIns = cases.First(c => ReferenceEquals(c.CandidateInputs[0], ins[0])).ReferenceInputs;
                var rows = batchOne ? Enumerable.Range(0, (int)refIns[0].shape[0]).Select(i => (IReadOnlyList<Tensor>)refIns.Select(t => t.narrow(0, i, 1)).ToList()).ToList() : [refIns];
                var outs = rows.Select(r => refRunner.Run(r).Take(takeReferenceOutputs).Select(o => tensor(o.Floats!, o.Shape)).ToList()).ToList();
                var joined = Enumerable.Range(0, takeReferenceOutputs).Select(k => cat(outs.Select(o => o[k]).ToArray(), 0)).ToList();
                return joined.Select(t => reshapeReference is null ? t : reshapeReference(t)).ToList();
            }, cases.Select(c => new ParityCase(c.Name, c.CandidateInputs)), options, 17));
        }
        var runs = reports.SelectMany(r => r.Results).ToList();
        return Report(name, 17, runs);
    }

    private static ParityReport Report(string name, int opset, List<ParityRun> runs) => new()
    {
        Model = name, Opset = opset, NearTieGap = ParityTolerance.NearTieGap, Results = runs, Runs = runs.Count,
        FailedRuns = runs.Count(r => !r.Passed), Passed = runs.Count > 0 && runs.All(r => r.Passed),
    };
}

/// <summary>Polygraphy-style error statistics of two float tensors, as the parity harness reports them.</summary>
public static class ErrorStats
{
    public static OutputParity Compare(string name, Tensor actual, Tensor expected, ParityTolerance tol)
    {
        using var scope = NewDisposeScope();
        var a = actual.detach().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
        var e = expected.detach().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
        if (!actual.shape.SequenceEqual(expected.shape))
            return new OutputParity { Name = name, DType = "float32", Shape = actual.shape, Problem = $"shape [{string.Join(",", actual.shape)}] ≠ reference [{string.Join(",", expected.shape)}]" };
        var abs = new double[a.Length]; var rel = new double[a.Length];
        long bad = 0, nan = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (float.IsNaN(a[i]) || float.IsNaN(e[i])) { nan++; bad++; continue; }
            double d = Math.Abs((double)a[i] - e[i]);
            abs[i] = d; rel[i] = d == 0 ? 0 : d / Math.Max(Math.Abs((double)e[i]), 1e-30);
            if (!(d <= tol.Atol + tol.Rtol * Math.Abs(e[i]))) bad++;
        }
        var (amax, amean, amed) = Summary(abs);
        var (rmax, rmean, rmed) = Summary(rel);
        return new OutputParity
        {
            Name = name, DType = "float32", Shape = actual.shape, Elements = a.Length, Atol = tol.Atol, Rtol = tol.Rtol,
            MaxAbsError = amax, MeanAbsError = amean, MedianAbsError = amed, MaxRelError = rmax, MeanRelError = rmean, MedianRelError = rmed,
            OutOfTolerance = bad, NaNs = nan, Passed = bad == 0,
            Problem = bad == 0 ? null : $"{bad} of {a.Length} elements outside atol {tol.Atol:g3} + rtol {tol.Rtol:g3}·|ref| (max abs {amax:g3})",
        };
    }

    private static (double Max, double Mean, double Median) Summary(double[] v)
    {
        if (v.Length == 0) return (0, 0, 0);
        var s = (double[])v.Clone();
        Array.Sort(s);
        double median = s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
        return (s[^1], v.Average(), median);
    }
}
