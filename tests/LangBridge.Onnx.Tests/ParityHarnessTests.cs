using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Parity;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Tests;

public class ParityHarnessTests
{
    private static byte[] ArgMaxGraph()
    {
        var b = new OnnxGraphBuilder("argmax");
        var x = b.AddInput("scores", OnnxElementType.Float, "batch", 4, 8);
        b.AddOutput(b.ArgMax(x, -1, keepDims: false), "ids");
        return b.ToBytes();
    }

    [Fact]
    public void WrongGraph_FailsParity()
    {
        // A registry that (wrongly) lowers ReLU to Sigmoid must be caught.
        var registry = OnnxConverterRegistry.CreateDefault().Register<ReLU>((c, m, x) => c.Builder.Sigmoid(x));
        var module = nn.Sequential(nn.Linear(4, 4), nn.ReLU());
        var export = OnnxExporter.Export(module, OnnxInputSpec.Batched("x", 4), new OnnxExportOptions { Registry = registry });
        var report = ParityHarness.Verify(module, export, [new ParityCase("r", randn(3, 4))]);
        Assert.False(report.Passed);
        Assert.Equal(2, report.FailedRuns);
        var o = report.Results[0].Outputs[0];
        Assert.True(o.OutOfTolerance > 0);
        Assert.True(o.MaxAbsError > 0.1);
        Assert.Contains("outside atol", o.Problem);
    }

    [Fact]
    public void IntegerOutputs_MustMatchExactly_NearTiesCountedSeparately()
    {
        var scores = randn(2, 4, 8);
        // Reference: the true argmax, except element 0 (declared a near-tie) and element 1 (a real mismatch).
        var reference = scores.argmax(-1);
        var flat = reference.flatten();
        flat[0] = (flat[0] + 1) % 8;
        flat[1] = (flat[1] + 1) % 8;
        var forward = (IReadOnlyList<Tensor> _) => (IReadOnlyList<Tensor>)[flat.reshape(2, 4)];
        var gap = full([2, 4], 1.0f);
        gap.flatten()[0] = 1e-7f;
        var options = new ParityOptions { DecisionGaps = new Dictionary<string, DecisionGap> { ["ids"] = _ => gap } };

        var report = ParityHarness.Verify(ArgMaxGraph(), forward, [new ParityCase("c", scores)], options);

        var o = report.Results[0].Outputs[0];
        Assert.Equal("int64", o.DType);
        Assert.Equal(1, o.NearTies);
        Assert.Equal(1, o.Mismatches);
        Assert.False(report.Passed);
        Assert.Equal(2, report.NearTies);            // counted under both optimization levels
    }

    [Fact]
    public void IntegerOutputs_OnlyNearTies_Pass()
    {
        var scores = randn(1, 4, 8);
        var wrong = scores.argmax(-1).clone();
        wrong[0, 2] = (wrong[0, 2] + 1) % 8;
        var options = new ParityOptions { DecisionGaps = new Dictionary<string, DecisionGap> { ["ids"] = _ => full([1, 4], 5e-7f) } };
        var report = ParityHarness.Verify(ArgMaxGraph(), _ => [wrong], [new ParityCase("c", scores)], options);
        Assert.True(report.Passed, report.Summary());
        Assert.Equal(1, report.Results[0].Outputs[0].NearTies);
    }

    [Fact]
    public void Tolerance_IsConfigurablePerOutput()
    {
        var b = new OnnxGraphBuilder("id");
        var x = b.AddInput("x", OnnxElementType.Float, "batch", 16);
        b.AddOutput(b.Identity(x), "y");
        var bytes = b.ToBytes();
        var input = randn(2, 16);
        Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>> shifted = ins => [ins[0] + 1e-3f];

        var strict = ParityHarness.Verify(bytes, shifted, [new ParityCase("c", input)]);
        Assert.False(strict.Passed);
        var loose = ParityHarness.Verify(bytes, shifted, [new ParityCase("c", input)],
            new ParityOptions { Tolerances = new Dictionary<string, ParityTolerance> { ["y"] = new(Atol: 1e-2, Rtol: 0) } });
        Assert.True(loose.Passed, loose.Summary());
        var o = loose.Results[0].Outputs[0];
        Assert.InRange(o.MaxAbsError!.Value, 0.9e-3, 1.1e-3);
        Assert.InRange(o.MedianAbsError!.Value, 0.9e-3, 1.1e-3);
        Assert.Equal(1e-2, o.Atol);
    }

    [Fact]
    public void ShapeMismatch_Fails()
    {
        var b = new OnnxGraphBuilder("id");
        var x = b.AddInput("x", OnnxElementType.Float, "batch", 4);
        b.AddOutput(b.Identity(x), "y");
        var report = ParityHarness.Verify(b.ToBytes(), ins => [ins[0].reshape(-1, 2, 2)], [new ParityCase("c", randn(2, 4))]);
        Assert.False(report.Passed);
        Assert.Contains("shape", report.Results[0].Outputs[0].Problem);
    }

    [Fact]
    public void Report_RoundTripsThroughJson()
    {
        var zc = ModelZoo.Get("quantizer_cosine");
        var m = zc.Build();
        var report = ParityHarness.Verify(m, zc.Export(m), [new ParityCase("c", randn(2, 6, 16))]);
        var json = report.ToJson();
        Assert.Contains("\"maxAbsError\"", json);
        Assert.Contains("\"nearTies\"", json);
        var back = ParityReport.FromJson(json);
        Assert.Equal(report.Runs, back.Runs);
        Assert.Equal(report.Passed, back.Passed);
        Assert.Equal(report.Results[0].Outputs[1].MaxAbsError, back.Results[0].Outputs[1].MaxAbsError);
        var path = Path.Combine(Path.GetTempPath(), $"parity-{Guid.NewGuid():N}.json");
        try { report.Save(path); Assert.Equal(json, File.ReadAllText(path)); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void OrtErrors_AreTranslatedToTypedExceptions()
    {
        // One translation for the whole repository: the runtime's typed exceptions, all LangBridgeException.
        var load = Assert.Throws<LangBridge.Runtime.InferenceException>(() => new OrtRunner([1, 2, 3, 4], Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL, "garbage"));
        Assert.Contains("garbage", load.Message);
        Assert.Equal("garbage", load.File);
        Assert.Equal(LangBridge.Runtime.InferenceStage.Load, load.Stage);

        using var runner = new OrtRunner(ArgMaxGraph(), Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL, "argmax");
        var run = Assert.Throws<LangBridge.Runtime.InferenceException>(() => runner.Run([randn(2, 5, 8)]));   // wrong static dim
        Assert.Contains("argmax", run.Message);
        Assert.Equal(LangBridge.Runtime.InferenceStage.Run, run.Stage);
        Assert.NotNull(run.OrtErrorCode);
        Assert.IsAssignableFrom<LangBridge.Runtime.LangBridgeException>(run);
        Assert.Throws<LangBridge.Runtime.InputShapeException>(() => runner.Run([randn(2, 4, 8), randn(2, 4, 8)]));
    }
}

public class ParityNaNTests
{
    [Fact]
    public void NaN_OnBothSides_Fails()
    {
        var b = new OnnxGraphBuilder("id");
        var x = b.AddInput("x", OnnxElementType.Float, "batch", 4);
        b.AddOutput(b.Identity(x), "y");
        var input = randn(2, 4);
        input[0, 1] = float.NaN;
        var report = ParityHarness.Verify(b.ToBytes(), ins => [ins[0].clone()], [new ParityCase("c", input)]);
        Assert.False(report.Passed);
        Assert.Equal(1, report.Results[0].Outputs[0].NaNs);
    }

    [Fact]
    public void ResidualBlock_NormsStartAtIdentityAffine()
    {
        // Guards against TorchSharp's uninitialised GroupNorm parameters.
        var rb = LangBridge.Layers.LayerFactory.ResidualBlock(8, 8, 4);
        foreach (var (name, p) in rb.named_parameters().Where(p => p.name.StartsWith("norm")))
            Assert.True(p.eq(name.EndsWith("weight") ? 1f : 0f).all().item<bool>(), name);
    }
}
