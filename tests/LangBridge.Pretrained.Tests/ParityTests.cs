using LangBridge.Onnx.Parity;
using LangBridge.Pretrained.Parity;
using Xunit.Abstractions;

namespace LangBridge.Pretrained.Tests;

/// <summary>The imported networks against the original graphs in ONNX Runtime, three ways.</summary>
public class ParityTests(ITestOutputHelper output)
{
    private void Print(PretrainedModelParity p)
    {
        foreach (var (check, report) in p.Checks)
            foreach (var run in report.Results)
                foreach (var o in run.Outputs)
                    output.WriteLine($"{p.Model} {check} {run.Case} {run.Optimization} {o.Name}: max abs {o.MaxAbsError:g3} mean {o.MeanAbsError:g3} median {o.MedianAbsError:g3}; max rel {o.MaxRelError:g3} {(o.Passed ? "ok" : o.Problem)}");
    }

    [Fact]
    public void MiniLm_TorchExportAndEmbeddings_MatchTheOriginalGraph()
    {
        var p = PretrainedParity.VerifyMiniLm(Originals.MiniLm, Originals.MiniLmFiles.Onnx, Originals.Tokenizer, TestInputs.SentenceBatches);
        Print(p);
        Assert.Equal(3, p.Checks.Count);
        Assert.All(p.Checks.Values, r => Assert.True(r.Runs > 0));
        Assert.True(p.Passed, string.Join("\n", p.Checks.Values.SelectMany(r => r.Results).SelectMany(r => r.Outputs).Where(o => !o.Passed).Select(o => o.Problem)));
    }

    [Fact]
    public void ResNet18_TorchAndExport_MatchTheOriginalGraphs()
    {
        using var images = TestInputs.Images(2);
        var p = PretrainedParity.VerifyResNet18(Originals.ResNet, Originals.ResNetFiles, images);
        Print(p);
        Assert.True(p.Passed, string.Join("\n", p.Checks.Values.SelectMany(r => r.Results).SelectMany(r => r.Outputs).Where(o => !o.Passed).Select(o => o.Problem)));
    }
}
