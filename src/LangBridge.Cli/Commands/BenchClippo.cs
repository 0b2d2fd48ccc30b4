using System.Diagnostics;
using LangBridge.Data;
using LangBridge.Runtime;
using LangBridge.Training.Clippo;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `bench runtime` for a CLIPPO bundle: the renderer's strings per second, and the runtime's image and text
/// embedders (text rendered in-process) against the TorchSharp eager forward of the same weights, batch 1 and 64.
/// </summary>
internal static class BenchClippo
{
    /// <summary>Largest difference between a runtime and a TorchSharp embedding that still counts as the same result.</summary>
    public const double EmbeddingTolerance = 1e-4;

    /// <param name="renderer">The pixels-only model's renderer (a GloVe-tower model has none and is not measured).</param>
    public static object Run(ClippoKindModel clippo, TextRenderer renderer, string bundleDir, DataLayout data, int repeats, List<string> wrong)
    {
        using var images = ImageEmbedder.Open(bundleDir);
        using var texts = TextEmbedder.Open(bundleDir);
        var test = FashionMnist.Load(data, DataSplit.Test).Slice(0, 64);
        var captions = clippo.HeldOutCaptions(test);
        var model = clippo.Model;
        model.eval();

        // The renderer alone, over the held-out captions.
        var clock = Stopwatch.StartNew();
        int rendered = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(1)) foreach (var c in captions) { renderer.Render(c); rendered++; }
        double stringsPerSecond = rendered / clock.Elapsed.TotalSeconds;
        AnsiConsole.MarkupLine($"renderer: {stringsPerSecond:N0} strings/s ({renderer.Options.Size}×{renderer.Options.Size} canvas)");

        var rows = new List<object>();
        foreach (var batch in new[] { 1, 64 })
        {
            var slice = test.Slice(0, batch);
            var pixels = Enumerable.Range(0, batch).Select(i => new PixelImage(slice.Width, slice.Height, 1, slice.Image(i).ToArray())).ToArray();
            var batchCaptions = captions[..batch];
            using var noGrad = no_grad();
            using var imageInput = ClippoKindModel.ImageInputs(slice);
            Check(wrong, $"images, batch {batch}", model.ImageEncoder.call(imageInput), images.Embed(pixels));
            using (var textInput = clippo.TextInputs(batchCaptions))
                Check(wrong, $"texts, batch {batch}", model.EmbedText(textInput), texts.Embed(batchCaptions));

            var torchImages = BenchTiming.Median(repeats, () => model.ImageEncoder.call(imageInput));
            var ortImages = BenchTiming.Median(repeats, () => images.Embed(pixels));
            // Both text sides render the captions first, as serving must.
            var torchTexts = BenchTiming.Median(repeats, () => model.EmbedText(clippo.TextInputs(batchCaptions)));
            var ortTexts = BenchTiming.Median(repeats, () => texts.Embed(batchCaptions));
            rows.Add(new
            {
                batch,
                images = new { torchsharp_per_second = batch / torchImages, runtime_per_second = batch / ortImages, runtime_vs_torchsharp = torchImages / ortImages },
                texts = new { torchsharp_per_second = batch / torchTexts, runtime_per_second = batch / ortTexts, runtime_vs_torchsharp = torchTexts / ortTexts },
            });
            AnsiConsole.MarkupLine($"batch {batch,2}: images TorchSharp {batch / torchImages,7:F0}/s, runtime {batch / ortImages,7:F0}/s, ratio {torchImages / ortImages:F2}×; " +
                                   $"texts TorchSharp {batch / torchTexts,7:F0}/s, runtime {batch / ortTexts,7:F0}/s, ratio {torchTexts / ortTexts:F2}×");
        }
        return new
        {
            model = clippo.Recipe.Name,
            embeddings_match = wrong.Count == 0,
            embedding_tolerance = EmbeddingTolerance,
            execution_provider = images.ExecutionProvider.ToString(),
            threads = get_num_threads(),
            repeats,
            renderer_strings_per_second = stringsPerSecond,
            results = rows,
            goals = new { batch1_at_least = 2.0, batch64_at_least = 2.0 },
        };
    }

    private static void Check(List<string> wrong, string what, Tensor torch, IReadOnlyList<Embedding> runtime)
    {
        using var t = torch;
        int e = (int)t.shape[1];
        var expected = t.data<float>().ToArray();
        double worst = 0;
        for (int i = 0; i < runtime.Count; i++)
            for (int k = 0; k < e; k++) worst = Math.Max(worst, Math.Abs(runtime[i].Vector[k] - expected[i * e + k]));
        if (worst > EmbeddingTolerance) wrong.Add($"{what}: the runtime's embeddings differ from TorchSharp's by up to {worst:g3}");
    }
}
