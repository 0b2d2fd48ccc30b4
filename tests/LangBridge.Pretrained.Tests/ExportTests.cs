using LangBridge.Onnx.Checking;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Parity;
using LangBridge.Onnx.Proto;
using LangBridge.Pretrained.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Tests;

/// <summary>
/// Our exports of the modules: the text encoder's interface (symbolic batch and sequence, int64 ids
/// and mask, hidden_states), parity at several batch sizes and sequence lengths, the dynamic-shape
/// ops each against TorchSharp, and the official ONNX checker on every graph.
/// </summary>
public class ExportTests(ITestOutputHelper output)
{
    private static BertEncoder TinyBert()
    {
        manual_seed(3);
        var m = new BertEncoder(new BertConfig { VocabSize = 50, HiddenSize = 32, Layers = 2, Heads = 4, IntermediateSize = 64, MaxPositions = 24 });
        using (no_grad())
            foreach (var p in m.parameters()) p.normal_(0, 0.3);                     // non-trivial LayerNorm affine too
        return m.Frozen();
    }

    private static string[] Dims(ValueInfoProto v) => v.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString()).ToArray();

    [Fact]
    public void TextEncoder_HasSymbolicBatchAndSequence_Int64Inputs_AndHiddenStatesOutput()
    {
        var r = TinyBert().ExportOnnx();
        var g = r.Model.Graph;
        Assert.Equal(["input_ids", "attention_mask"], g.Input.Select(i => i.Name));
        Assert.All(g.Input, i => Assert.Equal((int)OnnxElementType.Int64, i.Type.TensorType.ElemType));
        Assert.All(g.Input, i => Assert.Equal(["batch", "sequence"], Dims(i)));
        Assert.Equal("hidden_states", Assert.Single(g.Output).Name);
        Assert.Equal(["batch", "sequence", "32"], Dims(g.Output[0]));
        Assert.Contains(g.Node, n => n.OpType == "Erf");                             // exact GELU at opset 17
    }

    [Theory]
    [InlineData(17)]
    [InlineData(20)]                                                                 // the Gelu op instead of the erf formula
    public void TextEncoder_Export_MatchesTorch_AtSeveralBatchesAndLengths(int opset)
    {
        var m = TinyBert();
        var r = m.ExportOnnx(opset);
        Assert.Equal(opset, r.Model.OpsetImport[0].Version);
        var gen = new Generator(5);
        var cases = new List<ParityCase>();
        foreach (var (b, s) in new[] { (1, 1), (1, 7), (3, 24), (2, 5) })
        {
            var ids = randint(0, 50, [b, s], generator: gen);
            var mask = ones(b, s, ScalarType.Int64);
            if (s > 2) mask[0, TensorIndex.Slice(s - 2)] = 0;                          // padding at the end of row 0
            cases.Add(new ParityCase($"b{b}_s{s}", [ids, mask]));
        }
        var report = ParityHarness.Verify(r.ToBytes(), ins => [m.call(ins[0], ins[1])], cases, new ParityOptions { ModelName = "tiny bert" }, opset);
        foreach (var run in report.Results) output.WriteLine($"{run.Case} {run.Optimization}: max abs {run.Outputs[0].MaxAbsError:g3}");
        Assert.Equal(8, report.Runs);
        Assert.True(report.Passed, string.Join("\n", report.Results.SelectMany(x => x.Outputs).Where(o => !o.Passed).Select(o => o.Problem)));
    }

    [Fact]
    public void Mask_ChangesOnlyWhatItShould()
    {
        // A padded key must not change the other tokens' states; the padded row must equal the shorter sequence's.
        var m = TinyBert();
        using var noGrad = no_grad();
        using var ids = tensor(new long[] { 2, 9, 14, 3, 7, 8 }, 1, 6);
        using var full = m.call(ids, ones(1, 6, ScalarType.Int64));
        using var padded = m.call(ids, tensor(new long[] { 1, 1, 1, 1, 0, 0 }, 1, 6));
        using var shortOnly = m.call(ids[.., ..4], ones(1, 4, ScalarType.Int64));
        Assert.True(padded[.., ..4].allclose(shortOnly, rtol: 1e-5, atol: 1e-5));
        Assert.False(full[.., ..4].allclose(shortOnly, rtol: 1e-3, atol: 1e-3));
        using var noMask = m.Encode(ids);
        Assert.True(noMask.allclose(full, rtol: 0, atol: 0));                        // no mask = every position a token
    }

    /// <summary>Small graphs of each new op, run by ONNX Runtime against the TorchSharp result.</summary>
    public static IEnumerable<(string Name, byte[] Model, Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>> Reference, ParityCase[] Cases)> OpGraphs()
    {
        {
            // ShapeOf + SlicePrefix: the first S rows of a table, S read from a (batch, sequence) input.
            var b = new OnnxGraphBuilder("slice_prefix");
            var ids = b.AddInput("ids", OnnxElementType.Int64, "batch", "sequence");
            var tableData = Enumerable.Range(0, 10 * 3).Select(i => (float)i).ToArray();
            var table = b.AddInitializer("table", tableData, 10, 3);
            var rows = b.SlicePrefix(table, 0, b.ShapeOf(ids, 1, 2), "sequence");
            b.AddOutput(b.Add(b.Unsqueeze(rows, 0), b.Cast(b.Unsqueeze(ids, 2), OnnxElementType.Float)), "y");   // (batch, sequence, 3)
            var t = tensor(tableData, 10, 3);
            yield return ("slice_prefix", b.ToBytes(), ins => [t[..(int)ins[0].shape[1]].unsqueeze(0) + ins[0].unsqueeze(2).to_type(ScalarType.Float32)],
                [new ParityCase("s4", tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 2, 4)), new ParityCase("s9", arange(9, ScalarType.Int64).view(1, 9))]);
        }
        {
            var b = new OnnxGraphBuilder("pools");
            var x = b.AddInput("x", OnnxElementType.Float, "batch", 2, 9, 8);
            b.AddOutput(b.Flatten(b.GlobalAveragePool(b.MaxPool(x, [3, 3], [2, 2], [1, 1, 1, 1])), 1), "y");
            yield return ("pools", b.ToBytes(), ins => [nn.functional.max_pool2d(ins[0], 3, 2, 1).mean([2, 3])],
                [new ParityCase("b3", randn(3, 2, 9, 8, generator: new Generator(2)))]);
        }
    }

    [Fact]
    public void DynamicOps_MatchTorch()
    {
        foreach (var (name, model, reference, cases) in OpGraphs())
        {
            var report = ParityHarness.Verify(model, reference, cases, new ParityOptions { ModelName = name }, 17);
            Assert.True(report.Passed, name + ": " + string.Join("\n", report.Results.SelectMany(x => x.Outputs).Where(o => !o.Passed).Select(o => o.Problem)));
        }
    }

    [Fact]
    public void OpsRejectWhatTheyCannotExpress()
    {
        var b = new OnnxGraphBuilder("bad", opset: 17);
        var x = b.AddInput("x", OnnxElementType.Float, "batch", 4);
        Assert.Throws<ArgumentException>(() => b.ShapeOf(x, 1, 1));                       // empty range
        Assert.Throws<ArgumentException>(() => b.SlicePrefix(x, 1, b.AddInitializer("f", [1f], 1), "n"));  // float end
        Assert.Throws<ArgumentException>(() => b.Unsqueeze(x, 1, 1));                      // repeated axis
    }

    [Fact]
    public void EveryExportedGraph_PassesOfficialChecker()
    {
        var dir = Path.Combine(Path.GetTempPath(), "langbridge-pretrained-check-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var files = new List<string>();
            void Save(string name, byte[] bytes) { var p = Path.Combine(dir, name + ".onnx"); File.WriteAllBytes(p, bytes); files.Add(p); }
            Save("tiny_bert", TinyBert().ExportOnnx().ToBytes());
            manual_seed(1);
            using (var resnet = new ResNet18([1, 1, 1, 1]).Frozen()) Save("resnet_1111", resnet.ExportOnnx().ToBytes());
            foreach (var (name, model, _, _) in OpGraphs()) Save(name, model);
            var (info, results) = OnnxPythonChecker.Check(files);                        // fails (never skips) without the checker
            output.WriteLine($"onnx {info.Version}: checked {results.Count}");
            Assert.Equal(files.Count, results.Count);
            Assert.All(results, r => Assert.True(r.Passed, $"{Path.GetFileName(r.File)}: {r.Error}"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
