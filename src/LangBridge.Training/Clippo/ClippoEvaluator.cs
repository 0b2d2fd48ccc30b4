using System.Diagnostics;
using System.Text.Json.Serialization;
using LangBridge.Data;
using LangBridge.Training.Captions;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Reports;

namespace LangBridge.Training.Clippo;

/// <summary>Held-out numbers of a CLIPPO (or two-tower) model.</summary>
public sealed record ClippoMetrics
{
    public required string Model { get; init; }
    public required string TextTower { get; init; }
    public required int TestImages { get; init; }
    /// <summary>Fashion-MNIST test images classified by their nearest class prompt (held-out templates, averaged per class).</summary>
    public required double ZeroShotAccuracy { get; init; }
    /// <summary>The same with the training templates' prompts: how much the held-out phrasing costs.</summary>
    public required double ZeroShotTrainTemplatesAccuracy { get; init; }
    [JsonPropertyName("retrieval_i2t_r1")] public required double RetrievalI2tR1 { get; init; }
    [JsonPropertyName("retrieval_i2t_r5")] public required double RetrievalI2tR5 { get; init; }
    [JsonPropertyName("retrieval_t2i_r1")] public required double RetrievalT2iR1 { get; init; }
    [JsonPropertyName("retrieval_t2i_r5")] public required double RetrievalT2iR5 { get; init; }
    /// <summary>Images of the retrieval task, and the distinct held-out captions among theirs.</summary>
    public required int RetrievalImages { get; init; }
    public required int RetrievalCaptions { get; init; }
    /// <summary>MNIST digits classified with prompts naming the numbers ("the seven"): a domain the model never saw.</summary>
    public required double MnistZeroShotAccuracy { get; init; }
    /// <summary>Share of the evaluation's captions and prompts the canvas cut short.</summary>
    public required double TruncatedCaptions { get; init; }
    public ClippoMetrics? TwoTower { get; init; }
    public double? TrainSeconds { get; init; }
    public int? TrainSteps { get; init; }
    public required double EvaluateSeconds { get; init; }
}

/// <summary>
/// Evaluates a CLIPPO model: zero-shot classification with held-out prompts, image↔text retrieval on held-out
/// captions (R@k counts the right caption text: identical captions of different images are one item), and
/// zero-shot on MNIST.
/// </summary>
internal static class ClippoEvaluator
{
    /// <summary>Images and captions shown in the retrieval sheet.</summary>
    public const int SheetImages = 6, SheetCaptions = 5, SheetHits = 4;

    /// <param name="sheetPath">Where to draw the retrieval sheet (PNG); null: none.</param>
    public static ClippoMetrics Evaluate(ClippoKindModel kindModel, DataLayout data, TrainingResult? training, Action<string>? log, string? sheetPath = null)
    {
        var clock = Stopwatch.StartNew();
        var recipe = kindModel.ClippoRecipe;
        var test = FashionMnist.Load(data, DataSplit.Test);
        if (recipe.Evaluation.TestLimit > 0 && recipe.Evaluation.TestLimit < test.Count) test = test.Slice(0, recipe.Evaluation.TestLimit);
        var embed = new ClippoEmbeddings(kindModel.Model, kindModel.Text);
        var builder = kindModel.Captions;

        log?.Invoke($"embedding {test.Count} test images...");
        using var testTensor = ClippoImages.Normalised(test);
        var images = embed.Images(testTensor);
        double ZeroShot(CaptionSplit split)
        {
            var classes = embed.Classes(Enumerable.Range(0, builder.Classes.Count).Select(c => builder.ClassPrompts(c, split)).ToArray());
            return Enumerable.Range(0, test.Count).Count(i => ClippoEmbeddings.Nearest(images[i], classes).Best == test.Labels[i]) / (double)test.Count;
        }
        double zeroShot = ZeroShot(CaptionSplit.HeldOut), zeroShotTrain = ZeroShot(CaptionSplit.Train);
        log?.Invoke($"zero-shot accuracy {zeroShot:F4} (training templates {zeroShotTrain:F4})");

        // Retrieval: the first R test images and one held-out caption each.
        int r = Math.Min(recipe.Evaluation.RetrievalImages, test.Count);
        var captions = kindModel.HeldOutCaptions(test, r);
        var distinct = captions.Distinct().ToArray();
        var captionIndex = distinct.Select((c, k) => (c, k)).ToDictionary(p => p.c, p => p.k);
        var texts = embed.Texts(distinct);
        double I2t(int k) => Enumerable.Range(0, r).Count(i => TopK(images[i], texts, k).Contains(captionIndex[captions[i]])) / (double)r;
        double T2i(int k) => Enumerable.Range(0, distinct.Length).Count(c => TopK(texts[c], images[..r], k).Any(i => captions[i] == distinct[c])) / (double)distinct.Length;
        double i2t1 = I2t(1), i2t5 = I2t(5), t2i1 = T2i(1), t2i5 = T2i(5);
        log?.Invoke($"retrieval over {r} images, {distinct.Length} distinct captions: i2t R@1 {i2t1:F3} R@5 {i2t5:F3}, t2i R@1 {t2i1:F3} R@5 {t2i5:F3}");

        if (sheetPath is not null)
        {
            SheetPicture Caption(int k) => new(kindModel.Renderer?.Render(distinct[k]).Pixels, recipe.Canvas, distinct[k]);
            SheetPicture Image(int i) => new(test.Image(i).ToArray(), test.Width, test.ClassNames[test.Labels[i]]);
            // The first image of each of a few classes, and captions spread over the distinct ones.
            var queries = Enumerable.Range(0, r).GroupBy(i => test.Labels[i]).Select(g => g.First()).Take(SheetImages).ToArray();
            var imageToText = queries.Select(i => new SheetQuery(Image(i),
                TopK(images[i], texts, SheetHits).Select(k => new SheetHit(Caption(k), ClippoEmbeddings.Dot(images[i], texts[k]), k == captionIndex[captions[i]])).ToArray())).ToArray();
            var textToImage = Enumerable.Range(0, SheetCaptions).Select(j => j * distinct.Length / SheetCaptions).Select(c => new SheetQuery(Caption(c),
                TopK(texts[c], images[..r], SheetHits + 1).Select(i => new SheetHit(Image(i), ClippoEmbeddings.Dot(texts[c], images[i]), captions[i] == distinct[c])).ToArray())).ToArray();
            RetrievalSheet.Save(sheetPath, $"{recipe.Name}: held-out captions, {r} test images", imageToText, textToImage);
            log?.Invoke($"retrieval sheet: {sheetPath}");
        }

        var mnist = MnistDigits.Load(data);
        using var mnistTensor = ClippoImages.Normalised(mnist);
        var digits = embed.Images(mnistTensor);
        var digitPrompts = MnistDigits.ClassNames.Select(n => CaptionBuilder.Prompts(n)).ToArray();
        var digitClasses = embed.Classes(digitPrompts);
        double mnistZeroShot = Enumerable.Range(0, mnist.Count).Count(i => ClippoEmbeddings.Nearest(digits[i], digitClasses).Best == mnist.Labels[i]) / (double)mnist.Count;
        log?.Invoke($"MNIST zero-shot accuracy {mnistZeroShot:F4}");

        var rendered = distinct.Concat(Enumerable.Range(0, builder.Classes.Count).SelectMany(c => builder.ClassPrompts(c))).ToArray();
        var truncated = kindModel.Renderer is { } renderer ? rendered.Count(t => renderer.Render(t).Truncated) / (double)rendered.Length : 0;
        return new ClippoMetrics
        {
            Model = recipe.Name,
            TextTower = recipe.Text.Tower.ToString().ToLowerInvariant(),
            TestImages = test.Count,
            ZeroShotAccuracy = zeroShot,
            ZeroShotTrainTemplatesAccuracy = zeroShotTrain,
            RetrievalI2tR1 = i2t1, RetrievalI2tR5 = i2t5, RetrievalT2iR1 = t2i1, RetrievalT2iR5 = t2i5,
            RetrievalImages = r, RetrievalCaptions = distinct.Length,
            MnistZeroShotAccuracy = mnistZeroShot,
            TruncatedCaptions = truncated,
            TrainSeconds = training?.Seconds, TrainSteps = training?.StepsCompleted,
            EvaluateSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    private static int[] TopK(float[] query, float[][] candidates, int k) =>
        Enumerable.Range(0, candidates.Length).OrderByDescending(i => ClippoEmbeddings.Dot(query, candidates[i])).ThenBy(i => i).Take(k).ToArray();
}
