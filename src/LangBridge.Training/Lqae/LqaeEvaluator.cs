using System.Text.Json.Serialization;
using LangBridge.Data;
using LangBridge.Training.Evaluation;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>The held-out numbers a researcher asks of an image tokenizer.</summary>
public sealed record LqaeMetrics
{
    public required string Model { get; init; }
    public required int TestImages { get; init; }
    public required int ProbeTrainImages { get; init; }
    public required double PsnrDb { get; init; }
    public required int CodebookUniqueTokens { get; init; }
    public required double CodebookPerplexity { get; init; }
    public required int CodebookSize { get; init; }
    public required int TokensPerImage { get; init; }
    public required double LinearProbeAccuracy { get; init; }
    [JsonPropertyName("fewshot_5way_1shot_accuracy")]
    public required double Fewshot5Way1ShotAccuracy { get; init; }
    [JsonPropertyName("fewshot_5way_5shot_accuracy")]
    public required double Fewshot5Way5ShotAccuracy { get; init; }
    /// <summary>5-shot with the class vote (summed overlap over the K shots) instead of the nearest neighbour.</summary>
    [JsonPropertyName("fewshot_5way_5shot_vote_accuracy")]
    public required double Fewshot5Way5ShotVoteAccuracy { get; init; }
    /// <summary>The same 5-way tasks by nearest neighbour in pixel space: the baseline for the two above.</summary>
    [JsonPropertyName("fewshot_5way_1shot_pixel_accuracy")]
    public required double Fewshot5Way1ShotPixelAccuracy { get; init; }
    [JsonPropertyName("fewshot_5way_5shot_pixel_accuracy")]
    public required double Fewshot5Way5ShotPixelAccuracy { get; init; }
    public required int FewshotEpisodes { get; init; }
    public double? TrainSeconds { get; init; }
    public double? TrainImagesPerSecond { get; init; }
    public int? TrainSteps { get; init; }
    public required double EvaluateSeconds { get; init; }
}

/// <summary>Token ids and reconstructions of a dataset, in pixel space [0, 1].</summary>
public sealed record EncodedSet(long[][] TokenIds, float[] Originals, float[] Reconstructions);

/// <summary>Evaluates a trained <see cref="LqaeModel"/> on held-out images.</summary>
public static class LqaeEvaluator
{
    /// <summary>Encodes (and optionally decodes) <paramref name="data"/> in batches, without gradients.</summary>
    public static EncodedSet Encode(LqaeModel model, ImageDataset data, bool reconstruct, int batchSize = 500)
    {
        var spec = model.Recipe.Data;
        model.eval();
        using var noGrad = no_grad();
        var ids = new long[data.Count][];
        var originals = reconstruct ? new float[(long)data.Count * data.ImageSize] : [];
        var reconstructions = reconstruct ? new float[originals.Length] : [];
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var slice = data.Slice(start, Math.Min(batchSize, data.Count - start));
            var images = ImageTensors.Normalised(slice, spec);                       // (B, C, H, W)
            var tokens = model.Encode(images);                                       // (B, N)
            var flat = tokens.data<long>().ToArray();
            int n = (int)tokens.shape[1];
            for (int i = 0; i < slice.Count; i++) ids[start + i] = flat[(i * n)..((i + 1) * n)];
            if (!reconstruct) continue;
            ImageTensors.ToUnit(images, spec).data<float>().CopyTo(originals.AsSpan(start * data.ImageSize));
            ImageTensors.ToUnit(model.Decode(tokens), spec).data<float>().CopyTo(reconstructions.AsSpan(start * data.ImageSize));
        }
        return new EncodedSet(ids, originals, reconstructions);
    }

    /// <summary>Computes every metric; <paramref name="probeTrain"/> trains the linear probe.</summary>
    public static LqaeMetrics Evaluate(LqaeModel model, ImageDataset test, ImageDataset probeTrain, EncodedSet encodedTest,
        TrainingResult? training, double evaluateSecondsSoFar, Action<string>? log = null)
    {
        var recipe = model.Recipe;
        var e = recipe.Evaluation;
        var started = DateTime.UtcNow;
        var psnr = ImageMetrics.Psnr(encodedTest.Originals, encodedTest.Reconstructions);
        var stats = TokenStatistics.From(encodedTest.TokenIds.SelectMany(t => t).ToArray());
        log?.Invoke($"PSNR {psnr:F2} dB, {stats.UniqueTokens} unique tokens, perplexity {stats.Perplexity:F1}");

        log?.Invoke($"encoding {probeTrain.Count} training images for the linear probe...");
        var trainIds = Encode(model, probeTrain, reconstruct: false).TokenIds;
        double probe;
        using (var scope = NewDisposeScope())
        {
            probe = BagOfTokensProbe.Accuracy(ToTensor(trainIds), probeTrain.Labels, ToTensor(encodedTest.TokenIds), test.Labels,
                recipe.Codebook.Size, test.ClassNames.Count, e.ProbeEpochs, recipe.Seed);
        }
        log?.Invoke($"linear probe accuracy {probe:F4}");

        var overlap = FewShotEvaluator.TokenOverlap(encodedTest.TokenIds);               // token sets built once for all three
        double FiveWay(int shots, FewShotRule rule = FewShotRule.NearestNeighbour) =>
            FewShotEvaluator.Accuracy(test.Labels, overlap, 5, shots, e.FewShotQueries, e.FewShotEpisodes, recipe.Seed, rule);
        double oneShot = FiveWay(1), fiveShot = FiveWay(5), fiveShotVote = FiveWay(5, FewShotRule.ClassVote);
        log?.Invoke($"few-shot 5-way 1-shot {oneShot:F4}, 5-shot {fiveShot:F4} (class vote {fiveShotVote:F4})");
        double Pixels(int shots) =>
            FewShotEvaluator.PixelAccuracy(test.Pixels, test.ImageSize, test.Labels, 5, shots, e.FewShotQueries, e.FewShotEpisodes, recipe.Seed);
        double oneShotPixels = Pixels(1), fiveShotPixels = Pixels(5);
        log?.Invoke($"pixel nearest neighbour (baseline): 1-shot {oneShotPixels:F4}, 5-shot {fiveShotPixels:F4}");

        return new LqaeMetrics
        {
            Model = recipe.Name,
            TestImages = test.Count,
            ProbeTrainImages = probeTrain.Count,
            PsnrDb = psnr,
            CodebookUniqueTokens = stats.UniqueTokens,
            CodebookPerplexity = stats.Perplexity,
            CodebookSize = recipe.Codebook.Size,
            TokensPerImage = recipe.TokensPerImage,
            LinearProbeAccuracy = probe,
            Fewshot5Way1ShotAccuracy = oneShot,
            Fewshot5Way5ShotAccuracy = fiveShot,
            Fewshot5Way5ShotVoteAccuracy = fiveShotVote,
            Fewshot5Way1ShotPixelAccuracy = oneShotPixels,
            Fewshot5Way5ShotPixelAccuracy = fiveShotPixels,
            FewshotEpisodes = e.FewShotEpisodes,
            TrainSeconds = training?.Seconds,
            TrainImagesPerSecond = training?.ImagesPerSecond,
            TrainSteps = training?.StepsCompleted,
            EvaluateSeconds = evaluateSecondsSoFar + (DateTime.UtcNow - started).TotalSeconds,
        };
    }

    private static Tensor ToTensor(long[][] ids)                                     // (N, T)
    {
        int t = ids[0].Length;
        var flat = new long[ids.Length * t];
        for (int i = 0; i < ids.Length; i++) ids[i].CopyTo(flat, i * t);
        return tensor(flat).view(ids.Length, t);
    }
}
