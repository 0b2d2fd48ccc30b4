using LangBridge.Onnx.Parity;
using LangBridge.Training.Pipeline;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>
/// End to end: ONNX Runtime's encoder → quantizer chain (optimisations fully on) must give the TorchSharp
/// model's own (tiled-search) token ids; a differing id counts as a near-tie when the model's best two
/// words score within <see cref="ParityTolerance.NearTieGap"/>, else as a mismatch, which fails the check.
/// </summary>
internal sealed class LqaeTokenCheck(LqaeModel model, IReadOnlyList<ParityCase> images, IReadOnlyList<ParityCase> latents,
    IReadOnlyList<ParityCase> ids) : IBundleCheck
{
    public string Name => "token_ids";

    public CheckResult Run(BundleExport export, Action<string>? log)
    {
        long tokens = 0, ties = 0, mismatches = 0;
        using var encoder = new OrtRunner(export.Graph(LqaeKindModel.EncoderRole).ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, "encoder");
        using var quantizer = new OrtRunner(export.Graph(LqaeKindModel.QuantizerRole).ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, "quantizer");
        using var noGrad = no_grad();
        for (int i = 0; i < images.Count; i++)
        {
            using var scope = NewDisposeScope();
            var ortLatents = encoder.Run([images[i].Inputs[0]])[0];
            var ortIds = quantizer.Run([tensor(ortLatents.Floats!).view(ortLatents.Shape)])[0].Longs!;
            var torchIds = ids[i].Inputs[0].data<long>().ToArray();
            var gaps = model.Quantizer.Top2Gap(latents[i].Inputs[0]).flatten().data<float>().ToArray();
            for (int t = 0; t < torchIds.Length; t++)
            {
                tokens++;
                if (ortIds[t] == torchIds[t]) continue;
                if (gaps[t] < ParityTolerance.NearTieGap) ties++; else mismatches++;
            }
        }
        var rate = (double)(tokens - mismatches) / Math.Max(1, tokens);
        return new CheckResult(mismatches == 0,
            $"{rate:P4} of {tokens} token ids match ({ties} near-ties, {mismatches} mismatches)",
            new Dictionary<string, double> { ["tokens"] = tokens, ["near_ties"] = ties, ["mismatches"] = mismatches, ["token_match_rate"] = rate });
    }
}
