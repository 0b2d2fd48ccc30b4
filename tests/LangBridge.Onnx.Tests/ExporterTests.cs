using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Tests;

/// <summary>A module the exporter knows nothing about.</summary>
public sealed class MysteryModule() : nn.Module<Tensor, Tensor>("Mystery")
{
    public override Tensor forward(Tensor x) => x * 2;
}

/// <summary>A composite that nests an unknown module one level down.</summary>
public sealed class Wrapper : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential body;
    public Wrapper() : base("Wrapper")
    {
        body = nn.Sequential(("fc", nn.Linear(4, 4)), ("inner", new MysteryModule()));
        RegisterComponents();
    }
    public override Tensor forward(Tensor x) => body.call(x);
    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs) => c.Export(body, nameof(body), inputs);
}

public class ExporterTests
{
    [Fact]
    public void UnknownModule_FailsWithPathAndType()
    {
        var model = nn.Sequential(("0", nn.Linear(4, 4)), ("1", new Wrapper()));
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(model, OnnxInputSpec.Batched("x", 4)));
        Assert.Equal("1.body.inner", e.ModulePath);
        Assert.Equal(typeof(MysteryModule), e.ModuleType);
        Assert.Contains("'1.body.inner'", e.Message);
        Assert.Contains(typeof(MysteryModule).FullName!, e.Message);
        Assert.Contains(nameof(IOnnxExportable), e.Message);
    }

    [Fact]
    public void UnknownRootModule_IsNamedRoot()
    {
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(new MysteryModule(), OnnxInputSpec.Batched("x", 4)));
        Assert.Equal(OnnxExportContext.RootPath, e.ModulePath);
    }

    [Fact]
    public void UnsupportedSetting_FailsWithPathAndReason()
    {
        var model = nn.Sequential(("up", nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Bilinear)));
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(model, OnnxInputSpec.Batched("x", 3, 4, 4)));
        Assert.Equal("up", e.ModulePath);
        Assert.Contains("Bilinear", e.Message);

        var reflect = nn.Sequential(("c", nn.Conv2d(3, 3, 3, padding: 1, padding_mode: PaddingModes.Reflect)));
        var e2 = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(reflect, OnnxInputSpec.Batched("x", 3, 4, 4)));
        Assert.Equal("c", e2.ModulePath);
        Assert.Contains("Reflect", e2.Message);
    }

    [Fact]
    public void BatchNormWithoutRunningStats_IsRefused()
    {
        var model = nn.Sequential(("bn", nn.BatchNorm2d(3, track_running_stats: false)));
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(model, OnnxInputSpec.Batched("x", 3, 4, 4)));
        Assert.Equal("bn", e.ModulePath);
    }

    [Fact]
    public void Export_RestoresTrainingMode_AndUsesEvalSemantics()
    {
        var model = nn.Sequential(("fc", nn.Linear(4, 4)), ("drop", nn.Dropout(0.5)));
        model.train();
        var result = OnnxExporter.Export(model, OnnxInputSpec.Batched("x", 4));
        Assert.True(model.training);
        Assert.Contains(result.Model.Graph.Node, n => n.OpType == "Identity" && n.Name.StartsWith("drop"));
    }

    [Fact]
    public void InitializerNames_FollowModulePaths()
    {
        var model = nn.Sequential(("enc", LayerFactory.ResidualBlock(4, 8, groups: 2)));
        var names = OnnxExporter.Export(model, OnnxInputSpec.Batched("x", 4, 5, 5)).Model.Graph.Initializer.Select(i => i.Name).ToList();
        Assert.Contains("enc.conv1.weight", names);
        Assert.Contains("enc.skip.weight", names);
        Assert.Contains("enc.norm2.weight", names);
    }

    [Fact]
    public void GraphOutputs_HaveTrackedShapes_WithSymbolicBatchOnly()
    {
        var zc = ModelZoo.Get("quantizer_cosine");
        var result = zc.Export(zc.Build());
        var outs = result.Model.Graph.Output;
        Assert.Equal(["token_ids", "codes"], outs.Select(o => o.Name));
        Assert.Equal((int)OnnxElementType.Int64, outs[0].Type.TensorType.ElemType);
        Assert.Equal("batch", outs[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(6, outs[0].Type.TensorType.Shape.Dim[1].DimValue);
        Assert.Equal(16, outs[1].Type.TensorType.Shape.Dim[2].DimValue);
        Assert.All(result.Model.Graph.Input.Concat(outs), v =>
            Assert.Single(v.Type.TensorType.Shape.Dim, d => d.ValueCase == Proto.TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam));
    }

    [Fact]
    public void Metadata_DocString_AndProducer_AreWritten()
    {
        var result = OnnxExporter.Export(nn.Linear(2, 2), OnnxInputSpec.Batched("x", 2), new OnnxExportOptions
        {
            DocString = "test model",
            Metadata = new Dictionary<string, string> { ["recipe_sha256"] = "00ff", ["kind"] = "lqae" },
            ProducerVersion = "9.9.9",
        });
        var m = OnnxModelIO.Parse(result.ToBytes());
        Assert.Equal("test model", m.DocString);
        Assert.Equal("LangBridge", m.ProducerName);
        Assert.Equal("9.9.9", m.ProducerVersion);
        Assert.Equal(["kind", "recipe_sha256"], m.MetadataProps.Select(p => p.Key));
        Assert.Equal(8, m.IrVersion);
    }

    [Fact]
    public void Quantizer_SearchIsNearestNeighbour()
    {
        // The score-based search must agree with a brute-force L2 nearest neighbour.
        manual_seed(5);
        var cb = randn(50, 8);
        var q = LayerFactory.CodebookQuantizer(cb, normalizeInputs: false);
        var z = randn(3, 7, 8);
        var brute = cdist(z.reshape(-1, 8), cb).argmin(-1).reshape(3, 7);
        Assert.True(q.SearchNearest(z).eq(brute).all().item<bool>());
        var expectedCodes = cb.index_select(0, brute.flatten()).reshape(3, 7, 8);
        q.eval();
        var (ids, codes) = q.call(z);
        Assert.True(ids.eq(brute).all().item<bool>());
        Assert.True(codes.eq(expectedCodes).all().item<bool>());                   // eval: exact codebook rows
        q.train();
        var zg = z.clone().requires_grad_(true);
        var (_, stCodes) = q.call(zg);
        Assert.True(stCodes.allclose(expectedCodes, rtol: 1e-5, atol: 1e-5));       // training: straight-through, same values
        stCodes.sum().backward();
        Assert.True(zg.grad!.eq(ones_like(z)).all().item<bool>());                 // gradient passes straight through
    }
}
