using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Onnx.Tests;

public class GraphBuilderTests
{
    [Theory]
    [InlineData(17, 8)]
    [InlineData(18, 8)]
    [InlineData(19, 9)]
    [InlineData(20, 9)]
    [InlineData(21, 10)]
    public void IrVersion_IsMatchedToOpset(int opset, long ir)
    {
        var b = new OnnxGraphBuilder("g", opset);
        var x = b.AddInput("x", OnnxElementType.Float, "batch", 2);
        b.AddOutput(b.Relu(x), "y");
        var m = b.Build();
        Assert.Equal(ir, m.IrVersion);
        Assert.Equal(opset, m.OpsetImport.Single().Version);
    }

    [Fact]
    public void UnsupportedOpset_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxGraphBuilder("g", 22));

    [Fact]
    public void TinyGraph_RunsInOnnxRuntime_WithDynamicBatch()
    {
        var b = new OnnxGraphBuilder("tiny") { DocString = "tiny test graph" };
        b.SetMetadata("kind", "test").SetMetadata("recipe_sha256", "abc");
        var x = b.AddInput("x", OnnxElementType.Float, "batch", 3);
        var w = b.AddInitializer("w", [1f, 2f, 3f, 4f, 5f, 6f], 3, 2);          // (3, 2)
        var bias = b.AddInitializer("b", [0.5f, -0.5f], 2);
        var y = b.Relu(b.Add(b.MatMul(x, w), bias));                           // (B, 2)
        var ids = b.ArgMax(y, axis: 1, keepDims: false);                       // (B)
        b.AddOutput(y, "y");
        b.AddOutput(ids, "ids");
        var model = b.Build();
        Assert.Equal("batch", model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(3, model.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue);
        Assert.Equal(["kind", "recipe_sha256"], model.MetadataProps.Select(p => p.Key));
        // raw_data is little-endian float32
        Assert.Equal(BitConverter.GetBytes(2f), model.Graph.Initializer[0].RawData.Skip(4).Take(4).ToArray());

        using var session = new InferenceSession(b.ToBytes());
        foreach (int batch in new[] { 1, 4 })
        {
            var input = new float[batch * 3];
            for (int i = 0; i < input.Length; i++) input[i] = (i % 3) - 1f;    // rows of [-1, 0, 1]
            using var xv = OrtValue.CreateTensorValueFromMemory(input, [batch, 3]);
            using var outs = session.Run(new RunOptions(), ["x"], [xv], ["y", "ids"]);
            var yv = outs[0].GetTensorDataAsSpan<float>().ToArray();
            var iv = outs[1].GetTensorDataAsSpan<long>().ToArray();
            Assert.Equal(batch * 2, yv.Length);
            // [-1,0,1] · [[1,2],[3,4],[5,6]] = [4, 4] (+0.5, -0.5) → [4.5, 3.5]
            Assert.Equal(4.5f, yv[0], 5);
            Assert.Equal(3.5f, yv[1], 5);
            Assert.All(iv, id => Assert.Equal(0L, id));
        }
    }

    [Fact]
    public void Names_AreUniqueAndScoped()
    {
        var b = new OnnxGraphBuilder();
        var x = b.AddInput("x", OnnxElementType.Float, "batch", 4);
        OnnxValue a, c;
        using (b.Scope("enc"))
        {
            a = b.AddInitializer("weight", [1f, 2f, 3f, 4f], 4);
            c = b.AddInitializer("weight", [1f, 2f, 3f, 4f], 4);
        }
        Assert.Equal("enc.weight", a.Name);
        Assert.Equal("enc.weight_1", c.Name);
        var y = b.Add(b.Add(x, a), c);
        b.AddOutput(y, "y");
        var g = b.Build().Graph;
        var all = g.Node.SelectMany(n => n.Output).Concat(g.Initializer.Select(i => i.Name)).Concat(g.Input.Select(i => i.Name)).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Throws<ArgumentException>(() => b.AddInput("x", OnnxElementType.Float, 1));
    }

    [Fact]
    public void ProtoRoundTrip_KeepsZeroValuedAttributes()
    {
        var b = new OnnxGraphBuilder();
        var x = b.AddInput("x", OnnxElementType.Float, "batch", 4);
        b.AddOutput(b.ArgMax(x, 0, keepDims: false), "ids");
        var parsed = OnnxModelIO.Parse(b.ToBytes());
        var attr = parsed.Graph.Node[0].Attribute.Single(a => a.Name == "keepdims");
        Assert.True(attr.HasI);
        Assert.Equal(0, attr.I);
        Assert.Equal(AttributeProto.Types.AttributeType.Int, attr.Type);
    }

    [Fact]
    public void OutputRename_KeepsOldHandlesUsable()
    {
        var b = new OnnxGraphBuilder();
        var x = b.AddInput("x", OnnxElementType.Float, "batch", 4);
        var y = b.Relu(x);
        b.AddOutput(y, "y");
        var z = b.Sigmoid(y);                       // old handle used after the rename
        b.AddOutput(z, "z");
        var g = b.Build().Graph;
        Assert.Equal(["y"], g.Node.Single(n => n.OpType == "Sigmoid").Input);
        using var session = new InferenceSession(b.ToBytes());
        using var xv = OrtValue.CreateTensorValueFromMemory(new float[] { -1, 0, 1, 2 }, [1, 4]);
        using var outs = session.Run(new RunOptions(), ["x"], [xv], ["y", "z"]);
        Assert.Equal(2f, outs[0].GetTensorDataAsSpan<float>()[3]);
        Assert.Equal(0.5f, outs[1].GetTensorDataAsSpan<float>()[0], 5);
    }
}
