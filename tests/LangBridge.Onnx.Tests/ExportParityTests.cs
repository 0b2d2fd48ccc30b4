using LangBridge.Onnx.Parity;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Tests;

public class ExportParityTests(ITestOutputHelper output)
{
    /// <summary>
    /// Every module kind: exported once, run at batch 1 and 7 (dynamic batch) on random, zero and
    /// large-magnitude inputs, under ORT optimizations disabled and fully enabled, fp32 tolerances.
    /// </summary>
    [Theory]
    [MemberData(nameof(ModelZoo.Cases), MemberType = typeof(ModelZoo))]
    public void Module_MatchesOnnxRuntime(string name)
    {
        var zc = ModelZoo.Get(name);
        using var scope = NewDisposeScope();
        var module = zc.Build();
        var export = zc.Export(module);
        var g = new Generator(1234);
        var cases = new List<ParityCase>
        {
            new("random_b1", zc.RandomInput(1, g)),
            new("random_b7", zc.RandomInput(7, g)),
        };
        if (zc.IdRange > 0)
        {
            cases.Add(new("first_id_b7", zeros([7, .. zc.InputShape], dtype: ScalarType.Int64)));
            cases.Add(new("last_id_b7", full([7, .. zc.InputShape], zc.IdRange - 1, dtype: ScalarType.Int64)));
        }
        else
        {
            cases.Add(new("zeros_b7", zeros([7, .. zc.InputShape])));
            cases.Add(new("large_b7", zc.RandomInput(7, g) * zc.LargeMagnitude));
        }

        var report = ParityHarness.Verify(module, export, cases);
        output.WriteLine(report.Summary());
        Assert.True(report.Passed, report.Summary());
        Assert.Equal(cases.Count * 2, report.Runs);
        Assert.Contains(report.Results, r => r.Batch == 1);
        Assert.Contains(report.Results, r => r.Batch == 7);
        Assert.Equal(["ORT_DISABLE_ALL", "ORT_ENABLE_ALL"], report.Results.Select(r => r.Optimization).Distinct().Order());
        Assert.All(report.Results, r => Assert.All(r.Outputs, o => Assert.True(o.Elements > 0)));
    }
}
