using LangBridge.Onnx.Parity;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Tests;

public class CompositeRoundTripTests(ITestOutputHelper output)
{
    private const int Images = 256;
    private const int Chunk = 64;

    private static List<Tensor> RandomImages(int seed)
    {
        var g = new Generator((ulong)seed);
        return Enumerable.Range(0, Images / Chunk).Select(_ => rand([Chunk, 1, 28, 28], generator: g) * 2 - 1).ToList();   // in [-1, 1]
    }

    [Theory]
    [InlineData("conv_lqae")]
    [InlineData("small_vit")]
    public void TokenIds_AreIdentical_On256Images_ThroughTheExportedGraphs(string name)
    {
        var model = name == "conv_lqae" ? CompositeModel.ConvLqae() : CompositeModel.SmallVit();
        using var scope = NewDisposeScope();
        var encoderBytes = model.ExportEncoder().ToBytes();
        var quantizerBytes = model.ExportQuantizer().ToBytes();
        var images = RandomImages(7);

        foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            using var enc = new OrtRunner(encoderBytes, level, model.Name + "_encoder");
            using var quant = new OrtRunner(quantizerBytes, level, model.Name + "_quantizer");
            long compared = 0, mismatches = 0, nearTies = 0;
            foreach (var batch in images)
            {
                Tensor torchIds, gap;
                using (no_grad())
                {
                    var latents = model.Encoder.call(batch);
                    Assert.True(latents.isfinite().all().item<bool>(), "reference latents must be finite");
                    torchIds = model.Quantizer.call(latents).Ids;
                    Assert.True(torchIds.unique().Item1.shape[0] > 10, "ids should be diverse, not a degenerate constant");
                    gap = model.Quantizer.Top2Gap(latents);
                }
                var ortLatents = enc.Run([batch])[0];
                var ortIds = quant.Run([tensor(ortLatents.Floats!, ortLatents.Shape)])[0].Longs!;
                var expected = torchIds.data<long>().ToArray();
                var gaps = gap.data<float>().ToArray();
                Assert.Equal(expected.Length, ortIds.Length);
                for (int i = 0; i < expected.Length; i++)
                {
                    compared++;
                    if (expected[i] == ortIds[i]) continue;
                    if (gaps[i] < 1e-6f) nearTies++; else mismatches++;
                }
            }
            output.WriteLine($"{model.Name} [{level}]: {compared} tokens, {mismatches} mismatches, {nearTies} near-ties");
            Assert.Equal(Images * model.Tokens, compared);
            Assert.Equal(0, mismatches);
        }
    }

    [Theory]
    [InlineData("conv_lqae")]
    [InlineData("small_vit")]
    public void EachGraph_PassesParity_On256Images(string name)
    {
        var model = name == "conv_lqae" ? CompositeModel.ConvLqae() : CompositeModel.SmallVit();
        using var scope = NewDisposeScope();
        var images = RandomImages(11);
        var encoderCases = images.Select((b, i) => new ParityCase($"images_{i}", b)).ToList();
        List<ParityCase> latentCases, idCases;
        using (no_grad())
        {
            latentCases = images.Select((b, i) => new ParityCase($"latents_{i}", model.Encoder.call(b))).ToList();
            idCases = latentCases.Select((c, i) => new ParityCase($"ids_{i}", model.Quantizer.call(c.Inputs[0]).Ids)).ToList();
        }
        var decoderCases = model.DecoderInput.ElementType == Graph.OnnxElementType.Int64 ? idCases : encoderCases;

        var reports = new[]
        {
            ParityHarness.Verify(model.Encoder, model.ExportEncoder(), encoderCases),
            ParityHarness.Verify(model.Quantizer, model.ExportQuantizer(), latentCases),
            ParityHarness.Verify(model.Decoder, model.ExportDecoder(), decoderCases),
        };
        foreach (var r in reports)
        {
            output.WriteLine(r.Summary());
            foreach (var o in r.Results.SelectMany(x => x.Outputs).GroupBy(o => o.Name))
                output.WriteLine($"  {o.Key}: max abs {o.Max(x => x.MaxAbsError ?? 0):g3}, mismatches {o.Sum(x => x.Mismatches ?? 0)}, near-ties {o.Sum(x => x.NearTies ?? 0)}");
            Assert.True(r.Passed, r.Summary());
            Assert.Equal(Images, r.Results.Where(x => x.Optimization == "ORT_ENABLE_ALL").Sum(x => x.Batch));
        }
        // The quantizer's ids must match exactly: no mismatches at all (near-ties are reported separately).
        Assert.All(reports[1].Results.SelectMany(x => x.Outputs).Where(o => o.Name == "token_ids"), o => Assert.Equal(0, o.Mismatches));
    }
}
