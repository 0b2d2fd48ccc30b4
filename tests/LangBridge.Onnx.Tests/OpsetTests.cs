using LangBridge.Onnx.Parity;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Tests;

/// <summary>Opset-dependent lowerings (Reduce* axes, Resize, Gelu) run correctly at every selectable opset.</summary>
public class OpsetTests
{
    public static IEnumerable<object[]> Cases =>
        from name in new[] { "sequential", "residual_block_proj", "vit_block", "quantizer_l2", "quantizer_cosine", "upsample_nearest", "l2_normalize", "mean_pool", "gelu_tanh_opset17", "groupnorm", "batchnorm2d" }
        from opset in new[] { 18, 19, 20, 21 }
        select new object[] { name, opset };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Module_MatchesOnnxRuntime_AtOpset(string name, int opset)
    {
        var zc = ModelZoo.Get(name) with { Opset = opset };
        using var scope = NewDisposeScope();
        var module = zc.Build();
        var export = zc.Export(module);
        Assert.Equal(opset, export.Model.OpsetImport.Single().Version);
        Assert.Equal(Graph.OnnxOpset.IrVersionFor(opset), export.Model.IrVersion);
        var g = new Generator(99);
        var report = ParityHarness.Verify(module, export, [new ParityCase("b1", zc.RandomInput(1, g)), new ParityCase("b7", zc.RandomInput(7, g))]);
        Assert.True(report.Passed, report.Summary());
        if (name.StartsWith("gelu"))
            Assert.Equal(opset >= 20, export.Model.Graph.Node.Any(n => n.OpType == "Gelu"));
    }
}
