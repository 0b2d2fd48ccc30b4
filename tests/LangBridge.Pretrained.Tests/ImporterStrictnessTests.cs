using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Proto;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;

namespace LangBridge.Pretrained.Tests;

/// <summary>The importers read by structure and fail naming the tensor or node that does not fit.</summary>
public class ImporterStrictnessTests
{
    private static ModelProto MiniLm() => OnnxModelIO.Parse(Originals.MiniLmFiles.Onnx);

    [Fact]
    public void MiniLm_ConfigIsReadFromTheGraph()
    {
        var c = MiniLmImporter.ReadConfig(new OnnxGraphIndex(MiniLm(), "minilm"));
        Assert.Equal(BertConfig.MiniLmL6 with { }, c with { });
        Assert.Equal((6, 384, 12, 1536, 512, 30522), (c.Layers, c.HiddenSize, c.Heads, c.IntermediateSize, c.MaxPositions, c.VocabSize));
        var names = Originals.MiniLm.named_parameters().Select(p => p.name).ToList();
        Assert.Equal(6 * 16 + 5 + 2, names.Count);                                  // 16 per layer, 5 embedding, 2 pooler
    }

    [Fact]
    public void MiniLm_WeightsFoundByStructure_AreTheTransposedMatMulOperands()
    {
        // The value projection of layer 2, read here the other way round: bias → Add → MatMul → initializer.
        var model = MiniLm();
        var g = new OnnxGraphIndex(model, "minilm");
        var add = g.SingleConsumer("encoder.layer.2.attention.self.value.bias", "Add");
        var matmul = g.Producer(add.Input.Single(i => !i.EndsWith(".bias")))!;
        Assert.Equal("MatMul", matmul.OpType);
        using var w = g.ToTensor(g.Initializer(matmul.Input[1]));                   // (in, out)
        var ours = Originals.MiniLm.named_parameters().Single(p => p.name == "layers.2.value.weight").parameter;  // (out, in)
        Assert.True(w.t().allclose(ours, rtol: 0, atol: 0), "layer 2's value weight is not the transposed MatMul initializer");
        var other = Originals.MiniLm.named_parameters().Single(p => p.name == "layers.2.key.weight").parameter;
        Assert.False(w.t().allclose(other, rtol: 0, atol: 0));
    }

    [Fact]
    public void MiniLm_MissingBias_FailsNamingIt()
    {
        var model = MiniLm();
        var t = model.Graph.Initializer.Single(i => i.Name == "encoder.layer.3.output.LayerNorm.bias");
        model.Graph.Initializer.Remove(t);
        var e = Assert.Throws<PretrainedFormatException>(() => MiniLmImporter.Import(model, "minilm"));
        Assert.Equal("encoder.layer.3.output.LayerNorm.bias", e.Item);
    }

    [Fact]
    public void MiniLm_WrongShape_FailsNamingIt()
    {
        var model = MiniLm();
        var t = model.Graph.Initializer.Single(i => i.Name == "embeddings.token_type_embeddings.weight");
        t.Dims[0] = 1; t.Dims[1] = 768;                                            // same bytes, wrong shape
        var e = Assert.Throws<PretrainedFormatException>(() => MiniLmImporter.Import(model, "minilm"));
        Assert.Equal("embeddings.token_type_embeddings.weight", e.Item);
        Assert.Contains("[1, 768]", e.Message);
    }

    [Fact]
    public void MiniLm_BiasNotFedByAMatMul_FailsNamingIt()
    {
        var model = MiniLm();
        var g = new OnnxGraphIndex(model, "minilm");
        var add = g.SingleConsumer("encoder.layer.0.intermediate.dense.bias", "Add");
        g.Producer(add.Input.Single(i => !i.EndsWith(".bias")))!.OpType = "Gemm";
        var e = Assert.Throws<PretrainedFormatException>(() => MiniLmImporter.Import(model, "minilm"));
        Assert.Equal("encoder.layer.0.intermediate.dense.bias", e.Item);
        Assert.Contains("MatMul", e.Message);
    }

    [Fact]
    public void ResNet_StructureIsReadFromTheGraph()
    {
        var r = Originals.ResNet;
        Assert.Equal([2, 2, 2, 3], r.StageBlocks);                                  // the CNTK network has a third 512 block
        long n = r.parameters().Sum(p => p.numel());
        Assert.InRange(n, 15_800_000, 16_000_000);                                 // ~15.9M, as the package describes
        Assert.All(r.parameters(), p => Assert.False(p.requires_grad));
        Assert.False(r.training);
        Assert.InRange(r.MeanImage.mean().item<float>(), 100f, 130f);              // the mean image was copied, BGR means ~103–123
        Assert.Contains("mean_image", r.named_buffers().Select(b => b.name));       // travels with the module (to(device), state dict)
    }

    /// <summary>A training model holding both frozen encoders, as a bridge model would.</summary>
    private sealed class Holder : TorchSharp.torch.nn.Module
    {
        private readonly ResNet18 resnet;
        private readonly BertEncoder bert;
        public Holder(ResNet18 r, BertEncoder b) : base("holder") { resnet = r; bert = b; RegisterComponents(); }
    }

    private static Holder? _holder;

    [Fact]
    public void FrozenModules_StayInEvalMode_InsideATrainingParent()
    {
        // Kept alive for the run: the holder shares the imported modules the other tests use.
        var parent = _holder ??= new Holder(Originals.ResNet, Originals.MiniLm);
        parent.train();
        Assert.True(parent.training);
        Assert.False(Originals.ResNet.training);
        Assert.False(Originals.MiniLm.training);
        Assert.All(Originals.ResNet.modules(), m => Assert.False(m.training));        // batch norms keep their trained statistics
        Assert.All(Originals.MiniLm.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void ResNet_UnsupportedPadding_FailsNamingTheNode()
    {
        var files = Originals.ResNetFiles;
        var model = OnnxModelIO.Load(files.ModelPath);
        var conv = model.Graph.Node.First(n => n.OpType == "Conv");
        var pads = conv.Attribute.Single(a => a.Name == "pads");
        pads.Ints[0] = 2;                                                            // windows would start elsewhere
        var e = Assert.Throws<PretrainedFormatException>(() => ResNetImporter.Import(model, "resnet", OnnxModelIO.Load(files.PreprocessPath), "pre"));
        Assert.Equal(conv.Name, e.Item);
        Assert.Contains("pads", e.Message);
    }

    [Fact]
    public void ResNet_PreprocessWithoutChannelSwap_Fails()
    {
        var files = Originals.ResNetFiles;
        var pre = OnnxModelIO.Load(files.PreprocessPath);
        var concat = pre.Graph.Node.Single(n => n.OpType == "Concat");
        var ins = concat.Input.Reverse().ToList();                                  // R, G, B: no swap
        concat.Input.Clear(); concat.Input.AddRange(ins);
        var e = Assert.Throws<PretrainedFormatException>(() => ResNetImporter.Import(OnnxModelIO.Load(files.ModelPath), "resnet", pre, "pre"));
        Assert.Contains("RGB → BGR", e.Message);
    }
}
