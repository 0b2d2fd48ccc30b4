using LangBridge.Runtime;
using LangBridge.Training.Vlap;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `bench runtime` for a VLAP bundle: the training step with and without the assignment term (its share of the step),
/// and the runtime's image → words (<see cref="ImageToWords"/>) against TorchSharp eager on the same weights
/// (encoder, bridge, word scores, top 10), at batch 1 and 64.
/// </summary>
internal static class BenchVlap
{
    private const int Top = 10;

    public static object Run(VlapKindModel model, string bundleDir, int repeats, List<string> problems)
    {
        var shared = model.Shared;
        var step = VlapStepCost.Measure(model, steps: 20);
        AnsiConsole.MarkupLine($"training step (batch {step.BatchSize}, median of {step.Steps}): VLAP {step.Vlap * 1000:F0} ms, LiMBeR {step.Limber * 1000:F0} ms; assignment share {step.AssignmentShare:P1}");

        using var ranker = ImageToWords.Open(bundleDir);
        var encoder = shared.BundleEncoder ?? throw new InvalidOperationException("the bundle's encoder is not available");
        var bridge = shared.Model.Bridge(shared.LimberRecipe.Bundle.Encoder);
        var test = shared.Test;
        PixelImage Image(int i) => new(test.Width, test.Height, 1, test.Image(i).ToArray());
        long[] Torch(int count)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var pixels = tensor(test.Pixels.AsSpan(0, count * test.ImageSize).ToArray(), dtype: ScalarType.Byte).view(count, 1, test.Height, test.Width)
                .to_type(ScalarType.Float32).div(255f).sub(encoder.Mean).div(encoder.Std);                                 // (n, 1, H, W)
            return model.Words.call(bridge.call(encoder.Module.call(pixels))).topk(Top).indexes.data<long>().ToArray();   // (n, 10)
        }
        var results = new Dictionary<string, object>();
        foreach (var batch in new[] { 1, 64 })
        {
            var images = Enumerable.Range(0, batch).Select(Image).ToArray();
            var runtimeIds = ranker.Words(images, Top).SelectMany(w => w.Select(x => (long)x.TokenId)).ToArray();
            if (!runtimeIds.SequenceEqual(Torch(batch))) problems.Add($"batch {batch}: the runtime's top {Top} words differ from TorchSharp's");
            double runtime = BenchTiming.Median(repeats, () => ranker.Words(images, Top));
            double torch = BenchTiming.Median(repeats, () => Torch(batch));
            AnsiConsole.MarkupLine($"image → words at batch {batch}: runtime {batch / runtime:F0} images/s, TorchSharp {batch / torch:F0}: {torch / runtime:F2}×");
            results[$"batch_{batch}"] = new { runtime_images_per_second = batch / runtime, torchsharp_images_per_second = batch / torch, runtime_vs_torchsharp = torch / runtime };
        }
        return new
        {
            model = model.Recipe.Name,
            training_step = new { vlap_seconds = step.Vlap, limber_seconds = step.Limber, assignment_share = step.AssignmentShare, batch_size = step.BatchSize, steps = step.Steps },
            image_to_words = results,
            top = Top,
            ids_identical = problems.Count == 0,
            repeats,
            goals = new { assignment_share_below = 0.10, runtime_vs_torchsharp_at_batch_1_at_least = 2.0 },
        };
    }
}
