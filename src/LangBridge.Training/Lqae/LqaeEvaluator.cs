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
    /// <summary>The bag-of-tokens probe under the name that sets it beside <see cref="LinearProbeBertAccuracy"/>.</summary>
    public required double LinearProbeTokensAccuracy { get; init; }
    /// <summary>The dense probe (<see cref="FeatureProbe"/>) on raw pixels, the same training images: the baseline for both probes.</summary>
    public required double LinearProbePixelAccuracy { get; init; }
    /// <summary>Share of images every one of whose words is a whole lowercase alphabetic word (no word piece, digit or sign).</summary>
    public required double WholeWordShare { get; init; }
    /// <summary>With a BERT: the paper's probe, LayerNorm + linear on the token-averaged encoder and BERT-layer outputs.</summary>
    public double? LinearProbeBertAccuracy { get; init; }
    /// <summary>With a BERT: PSNR when <see cref="MaskRatio"/> of each image's words are replaced by [MASK] before the BERT.</summary>
    [JsonPropertyName("psnr_db_masked")]
    public double? PsnrDbMasked { get; init; }
    public double? MaskRatio { get; init; }
    /// <summary>With a BERT: the same 5-way episodes by cosine nearest neighbour on the BERT's sentence features.</summary>
    [JsonPropertyName("fewshot_5way_1shot_bert_accuracy")]
    public double? Fewshot5Way1ShotBertAccuracy { get; init; }
    [JsonPropertyName("fewshot_5way_5shot_bert_accuracy")]
    public double? Fewshot5Way5ShotBertAccuracy { get; init; }
    public double? TrainSeconds { get; init; }
    public double? TrainImagesPerSecond { get; init; }
    public int? TrainSteps { get; init; }
    public required double EvaluateSeconds { get; init; }
}

/// <summary>
/// Token ids and reconstructions of a dataset, in pixel space [0, 1]; with a BERT also the reconstructions
/// with the recipe's share of words masked (<see cref="MaskedReconstructions"/>, the same masks every run).
/// </summary>
public sealed record EncodedSet(long[][] TokenIds, float[] Originals, float[] Reconstructions, float[]? MaskedReconstructions = null);

/// <summary>BERT features of a dataset, row-major: probe features (N, <see cref="ProbeDimension"/>) and sentence features (N, <see cref="SentenceDimension"/>).</summary>
public sealed record FeatureSet(float[] Probe, int ProbeDimension, float[] Sentence, int SentenceDimension);

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
        var masked = reconstruct && model.Bert is not null ? new float[originals.Length] : null;
        var maskGenerator = new Generator((ulong)model.Recipe.Seed);
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
            if (masked is null) continue;
            var mask = LqaeModel.ExactMask(tokens.shape[0], n, model.Recipe.Masking.Ratio, maskGenerator)!;             // (B, N)
            ImageTensors.ToUnit(model.DecodeMasked(tokens, mask), spec).data<float>().CopyTo(masked.AsSpan(start * data.ImageSize));
        }
        return new EncodedSet(ids, originals, reconstructions, masked);
    }

    /// <summary>The BERT features (<see cref="LqaeModel.Features"/>) of <paramref name="data"/>, in batches.</summary>
    public static FeatureSet Features(LqaeModel model, ImageDataset data, int batchSize = 500)
    {
        model.eval();
        float[]? probe = null, sentence = null;
        int probeDim = 0, sentenceDim = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var slice = data.Slice(start, Math.Min(batchSize, data.Count - start));
            var features = model.Features(ImageTensors.Normalised(slice, model.Recipe.Data));
            probeDim = (int)features.Probe.shape[1];
            sentenceDim = (int)features.Sentence.shape[1];
            probe ??= new float[(long)data.Count * probeDim];
            sentence ??= new float[(long)data.Count * sentenceDim];
            features.Probe.data<float>().CopyTo(probe.AsSpan(start * probeDim));
            features.Sentence.data<float>().CopyTo(sentence.AsSpan(start * sentenceDim));
        }
        return new FeatureSet(probe ?? [], probeDim, sentence ?? [], sentenceDim);
    }

    /// <summary>Share of images whose every word is whole: lowercase letters only (a word piece's "##", digits and signs are not).</summary>
    public static double WholeWordShare(IReadOnlyList<long[]> ids, IReadOnlyList<string> words)
    {
        var whole = words.Select(w => w.Length > 0 && w.All(ch => ch is >= 'a' and <= 'z')).ToArray();
        return ids.Count == 0 ? 0 : (double)ids.Count(image => image.All(id => whole[id])) / ids.Count;
    }

    /// <summary>Computes every metric; <paramref name="probeTrain"/> trains the linear probe.</summary>
    public static LqaeMetrics Evaluate(LqaeModel model, IReadOnlyList<string> words, ImageDataset test, ImageDataset probeTrain, EncodedSet encodedTest,
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
        var wholeWords = WholeWordShare(encodedTest.TokenIds, words);
        double pixelProbe;
        using (var scope = NewDisposeScope())
        {
            pixelProbe = FeatureProbe.Accuracy(PixelRows(probeTrain), probeTrain.Labels, PixelRows(test), test.Labels,
                test.ClassNames.Count, e.FeatureProbeEpochsOrDefault, recipe.Seed);
        }
        log?.Invoke($"linear probe on raw pixels (baseline): {pixelProbe:F4}");
        var bert = model.Bert is null ? null : EvaluateBert(model, test, probeTrain, encodedTest, log);

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
            LinearProbeTokensAccuracy = probe,
            WholeWordShare = wholeWords,
            LinearProbePixelAccuracy = pixelProbe,
            LinearProbeBertAccuracy = bert?.Probe,
            PsnrDbMasked = bert?.MaskedPsnr,
            MaskRatio = bert is null ? null : recipe.Masking.Ratio,
            Fewshot5Way1ShotBertAccuracy = bert?.OneShot,
            Fewshot5Way5ShotBertAccuracy = bert?.FiveShot,
            TrainSeconds = training?.Seconds,
            TrainImagesPerSecond = training?.ImagesPerSecond,
            TrainSteps = training?.StepsCompleted,
            EvaluateSeconds = evaluateSecondsSoFar + (DateTime.UtcNow - started).TotalSeconds,
        };
    }

    private sealed record BertNumbers(double Probe, double MaskedPsnr, double OneShot, double FiveShot);

    /// <summary>The numbers only a model with a BERT has: the layer-averaged probe, masked PSNR, few-shot on sentence features.</summary>
    private static BertNumbers EvaluateBert(LqaeModel model, ImageDataset test, ImageDataset probeTrain, EncodedSet encodedTest, Action<string>? log)
    {
        var recipe = model.Recipe;
        var e = recipe.Evaluation;
        var maskedPsnr = ImageMetrics.Psnr(encodedTest.Originals, encodedTest.MaskedReconstructions
            ?? throw new ArgumentException("the encoded test set has no masked reconstructions (encode it with reconstruct: true)"));
        log?.Invoke($"PSNR with {recipe.Masking.Ratio:P0} of the words masked: {maskedPsnr:F2} dB");
        log?.Invoke($"BERT features of {probeTrain.Count} training and {test.Count} test images...");
        var trainFeatures = Features(model, probeTrain);
        var testFeatures = Features(model, test);
        double probe;
        using (var scope = NewDisposeScope())
        {
            probe = FeatureProbe.Accuracy(
                tensor(trainFeatures.Probe).view(probeTrain.Count, trainFeatures.ProbeDimension), probeTrain.Labels,
                tensor(testFeatures.Probe).view(test.Count, testFeatures.ProbeDimension), test.Labels,
                test.ClassNames.Count, e.FeatureProbeEpochsOrDefault, recipe.Seed);
        }
        log?.Invoke($"linear probe on BERT features ({testFeatures.ProbeDimension} per image): {probe:F4}");
        double FiveWay(int shots) => FewShotEvaluator.FeatureAccuracy(testFeatures.Sentence, testFeatures.SentenceDimension, test.Labels,
            5, shots, e.FewShotQueries, e.FewShotEpisodes, recipe.Seed);
        double oneShot = FiveWay(1), fiveShot = FiveWay(5);
        log?.Invoke($"few-shot on BERT sentence features: 1-shot {oneShot:F4}, 5-shot {fiveShot:F4}");
        return new BertNumbers(probe, maskedPsnr, oneShot, fiveShot);
    }

    private static Tensor PixelRows(ImageDataset data) =>                           // (N, C·H·W) in [0, 1]
        tensor(data.Pixels).view(data.Count, data.ImageSize).to_type(ScalarType.Float32).div_(255f);

    private static Tensor ToTensor(long[][] ids)                                     // (N, T)
    {
        int t = ids[0].Length;
        var flat = new long[ids.Length * t];
        for (int i = 0; i < ids.Length; i++) ids[i].CopyTo(flat, i * t);
        return tensor(flat).view(ids.Length, t);
    }
}
