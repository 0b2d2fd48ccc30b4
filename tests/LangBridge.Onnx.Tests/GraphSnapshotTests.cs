using LangBridge.Onnx.Graph;
using Snapshooter;
using Snapshooter.Xunit;

namespace LangBridge.Onnx.Tests;

/// <summary>
/// Readable dumps of every exported graph (structure, shapes, attributes, initializer shapes; no
/// weights), compared with the committed snapshots under __snapshots__ (strict mode in CI).
/// </summary>
public class GraphSnapshotTests
{
    [Theory]
    [MemberData(nameof(ModelZoo.Cases), MemberType = typeof(ModelZoo))]
    public void ModuleGraph_MatchesSnapshot(string name)
    {
        var zc = ModelZoo.Get(name);
        var text = OnnxGraphText.Dump(zc.Export(zc.Build()).Model);
        Assert.DoesNotContain("raw_data", text);
        Snapshot.Match(text, SnapshotNameExtension.Create(name));
    }

    [Theory]
    [InlineData("conv_lqae")]
    [InlineData("small_vit")]
    public void CompositeGraphs_MatchSnapshot(string name)
    {
        var model = name == "conv_lqae" ? CompositeModel.ConvLqae() : CompositeModel.SmallVit();
        var text = string.Join("\n", new[] { model.ExportEncoder(), model.ExportQuantizer(), model.ExportDecoder() }
            .Select(r => OnnxGraphText.Dump(r.Model)));
        Snapshot.Match(text, SnapshotNameExtension.Create(name));
    }

    [Fact]
    public void Dump_ShowsOpsetShapesAttributesAndInitializerShapes()
    {
        var zc = ModelZoo.Get("conv2d_stride_padding");
        var text = OnnxGraphText.Dump(zc.Export(zc.Build()).Model);
        Assert.Contains("opset ai.onnx 17", text);
        Assert.Contains("input: float32[batch, 3, 9, 9]", text);
        Assert.Contains("output: float32[batch, 8, 5, 5]", text);
        Assert.Contains("weight: float32[8, 3, 3, 3]", text);
        Assert.Contains("strides=[2, 2]", text);
        Assert.Contains("pads=[1, 1, 1, 1]", text);
    }
}
