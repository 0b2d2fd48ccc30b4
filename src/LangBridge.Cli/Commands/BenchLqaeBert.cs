using LangBridge.Runtime;
using LangBridge.Training.Lqae;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `bench runtime` for an LQAE bundle with a frozen BERT: image → ids + BERT features (last hidden states and
/// their mean) through the runtime (<see cref="ImageTokenizer.EncodeWithFeatures(ReadOnlyMemory{float}, int, int, int, int)"/>)
/// against TorchSharp eager doing the same (encoder, search, BERT under no_grad), on one batch.
/// </summary>
internal static class BenchLqaeBert
{
    /// <summary>Largest |runtime − TorchSharp| of a pooled feature that still counts as the same result (fp32).</summary>
    private const float FeatureTolerance = 1e-4f;

    public static object Row(LqaeKindModel lqae, LqaeBert bert, ImageTokenizer tokenizer, Tensor images, float[] floats, int repeats, List<string> wrong)
    {
        int batch = (int)images.shape[0], c = (int)images.shape[1], h = (int)images.shape[2], w = (int)images.shape[3];
        Tensor TorchFeatures()
        {
            using var noGrad = no_grad();
            var ids = lqae.Model.Encode(images);                    // (B, N)
            return bert.Read(bert.Embed(ids)).mean([1]);            // (B, N, D) → (B, D)
        }

        using (var scope = NewDisposeScope())
        {
            var expected = TorchFeatures().data<float>().ToArray();
            var actual = tokenizer.EncodeWithFeatures(floats, batch, c, h, w).SelectMany(t => t.Features!.Pooled).ToArray();
            var error = expected.Zip(actual, (a, b) => Math.Abs(a - b)).DefaultIfEmpty(float.PositiveInfinity).Max();
            if (expected.Length != actual.Length || error > FeatureTolerance)
                wrong.Add($"batch {batch}: the runtime's BERT features differ from TorchSharp's (max |error| {error:G3} > {FeatureTolerance:G1})");
        }

        var torchSeconds = BenchTiming.Median(repeats, TorchFeatures);
        var ortSeconds = BenchTiming.Median(repeats, () => tokenizer.EncodeWithFeatures(floats, batch, c, h, w));
        Spectre.Console.AnsiConsole.MarkupLine(
            $"batch {batch,2} with BERT features: TorchSharp {batch / torchSeconds,8:F0} img/s, runtime {batch / ortSeconds,8:F0} img/s, ratio {torchSeconds / ortSeconds:F2}×");
        return new
        {
            torchsharp_images_per_second = batch / torchSeconds,
            runtime_images_per_second = batch / ortSeconds,
            runtime_vs_torchsharp = torchSeconds / ortSeconds,
        };
    }
}
