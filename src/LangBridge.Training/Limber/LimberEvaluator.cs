using System.Text;
using System.Text.Json.Serialization;
using LangBridge.Runtime;
using LangBridge.Training.Captions;
using LangBridge.Training.Evaluation;
using LangBridge.Training.Language;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Reports;
using static TorchSharp.torch;

namespace LangBridge.Training.Limber;

/// <summary>One encoder's captioning numbers on the test images (greedy decoding).</summary>
public sealed record LimberEncoderMetrics
{
    [JsonPropertyName("caption_class_accuracy")] public double ClassAccuracy { get; init; }
    [JsonPropertyName("caption_attribute_accuracy")] public double AttributeAccuracy { get; init; }
    [JsonPropertyName("caption_brightness_accuracy")] public double BrightnessAccuracy { get; init; }
    [JsonPropertyName("caption_size_accuracy")] public double SizeAccuracy { get; init; }
    [JsonPropertyName("bleu4")] public double Bleu4 { get; init; }
    [JsonPropertyName("cider_d")] public double CiderD { get; init; }
    [JsonPropertyName("heldout_caption_perplexity")] public double HeldOutCaptionPerplexity { get; init; }
    [JsonPropertyName("feature_dimension")] public int FeatureDimension { get; init; }
    [JsonPropertyName("source")] public required string Source { get; init; }
}

/// <summary>The LiMBeR report (<c>metrics.json</c>): one block per encoder, and the LM's own numbers.</summary>
public sealed record LimberReport
{
    public required string Model { get; init; }
    public required string RecipeSha256 { get; init; }
    [JsonPropertyName("test_images")] public int TestImages { get; init; }
    [JsonPropertyName("train_images")] public int TrainImages { get; init; }
    public required string Prompt { get; init; }
    [JsonPropertyName("lm_source")] public required string LmSource { get; init; }
    /// <summary>Perplexity of the held-out reference captions after the prompt alone, no image: what the bridges must beat.</summary>
    [JsonPropertyName("lm_text_only_caption_perplexity")] public double TextOnlyCaptionPerplexity { get; init; }
    /// <summary>The LM's held-out text perplexity from its own evaluation (null when it has none, e.g. a GPT-2 folder or not evaluated yet).</summary>
    [JsonPropertyName("lm_heldout_text_perplexity")] public double? LmHeldOutPerplexity { get; init; }
    public required IReadOnlyDictionary<string, LimberEncoderMetrics> Encoders { get; init; }
    [JsonPropertyName("train_seconds")] public double? TrainSeconds { get; init; }
}

/// <summary>Captions every test image with every bridge (greedy), scores them against the held-out references, and draws the sheet.</summary>
public static class LimberEvaluator
{
    public const string SheetFile = "captions.png", CaptionsFile = "captions.txt";
    private const int Batch = 100;

    public static LimberReport Evaluate(LimberKindModel model, TrainingResult? training, Action<string>? log, string sheetPath, string captionsPath)
    {
        model.Module.eval();
        var test = model.Test;
        var references = Enumerable.Range(0, test.Count).Select(i => model.Captions.References(test.Labels[i], model.TestAttributes[i])).ToArray();
        var options = SamplingOptions.Greedy with { MaxTokens = model.LimberRecipe.Evaluation.MaxTokens };
        var generated = new Dictionary<LimberEncoder, string[]>();
        var blocks = new Dictionary<string, LimberEncoderMetrics>();
        foreach (var encoder in model.Encoders)
        {
            log?.Invoke($"{encoder}: captioning {test.Count:N0} test images...");
            using var all = model.TestFeatures(encoder);                                              // (N, F)
            var captions = new List<string>();
            var perplexity = 0.0;
            for (int start = 0; start < test.Count; start += Batch)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                int n = Math.Min(Batch, test.Count - start);
                var prefix = model.Model.Prefix(encoder, all.narrow(0, start, n));                       // (n, k + P, D)
                captions.AddRange(GptGenerator.Generate(model.Model.Lm, prefix, options, model.Model.Tokenizer.EndOfTextId)
                    .Select(ids => model.Model.Tokenizer.Decode(ids).Trim()));
                perplexity += ReferenceLoss(model, prefix, references.AsSpan(start, n)) * n;
            }
            generated[encoder] = captions.ToArray();
            var (cls, bright, size) = Correctness(model, captions);
            var block = blocks[encoder.Key()] = new LimberEncoderMetrics
            {
                ClassAccuracy = cls, BrightnessAccuracy = bright, SizeAccuracy = size, AttributeAccuracy = (bright + size) / 2,
                Bleu4 = CaptionScores.Bleu4(captions, references), CiderD = CaptionScores.CiderD(captions, references),
                HeldOutCaptionPerplexity = Math.Exp(perplexity / test.Count), FeatureDimension = model.Model.Bridge(encoder).Features,
                Source = model.EncoderSource(encoder),
            };
            log?.Invoke($"{encoder}: class {cls:F3}, attributes {(bright + size) / 2:F3}, BLEU-4 {block.Bleu4:F3}, CIDEr-D {block.CiderD:F3}");
        }
        double textOnly = 0;
        for (int start = 0; start < test.Count; start += Batch)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int n = Math.Min(Batch, test.Count - start);
            textOnly += ReferenceLoss(model, model.Model.PromptOnly(n), references.AsSpan(start, n)) * n;
        }
        WriteSheet(model, generated, sheetPath, captionsPath);
        return new LimberReport
        {
            Model = model.Recipe.Name, RecipeSha256 = model.Recipe.Sha256, TestImages = test.Count, TrainImages = model.Train.Count,
            Prompt = model.LimberRecipe.Prompt, LmSource = model.InputHashes["lm"], TextOnlyCaptionPerplexity = Math.Exp(textOnly / test.Count),
            LmHeldOutPerplexity = ReadLmPerplexity(model.LmReport),
            Encoders = blocks, TrainSeconds = training?.Seconds,
        };
    }

    private static double? ReadLmPerplexity(string? report)
    {
        if (report is null || !File.Exists(report)) return null;
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(report));
        return doc.RootElement.TryGetProperty("heldout_perplexity", out var p) ? p.GetDouble() : null;
    }

    /// <summary>Mean over the batch of each image's mean cross-entropy over its held-out references.</summary>
    private static double ReferenceLoss(LimberKindModel model, Tensor prefix, ReadOnlySpan<IReadOnlyList<string>> references)
    {
        int perImage = references[0].Count;
        var flat = new List<string>();
        foreach (var r in references) flat.AddRange(r);
        using var targets = model.Model.Targets(flat);
        using var repeated = prefix.repeat_interleave(perImage, dim: 0);                                // (n·R, k + P, D)
        using var loss = model.Model.CaptionLoss(repeated, targets);
        return loss.mean().item<float>();
    }

    /// <summary>Shares of captions that name the image's class (its name or a WordNet synonym, and no other class) and state each attribute rightly (the right word, not its opposite).</summary>
    public static (double Class, double Brightness, double Size) Correctness(LimberKindModel model, IReadOnlyList<string> captions)
    {
        var classes = model.Captions.Classes;
        int cls = 0, bright = 0, size = 0;
        for (int i = 0; i < captions.Count; i++)
        {
            var words = CaptionScores.Words(captions[i]);
            var named = Enumerable.Range(0, classes.Count).Where(c => Names(classes[c]).Any(n => ContainsPhrase(words, n))).ToArray();
            if (named.Length == 1 && named[0] == model.Test.Labels[i]) cls++;
            var a = model.TestAttributes[i];
            if (States(words, a.Brightness, a.Brightness == "dark" ? "light" : "dark")) bright++;
            if (States(words, a.Size, a.Size == "small" ? "large" : "small")) size++;
        }
        double n = captions.Count;
        return (cls / n, bright / n, size / n);
    }

    private static IEnumerable<string[]> Names(ClassWords c) => new[] { c.Name }.Concat(c.Synonyms).Select(CaptionScores.Words);

    private static bool ContainsPhrase(string[] words, string[] phrase)
    {
        for (int i = 0; i + phrase.Length <= words.Length; i++)
            if (phrase.Length > 0 && words.AsSpan(i, phrase.Length).SequenceEqual(phrase)) return true;
        return false;
    }

    private static bool States(string[] words, string right, string wrong) => words.Contains(right) && !words.Contains(wrong);

    private static void WriteSheet(LimberKindModel model, Dictionary<LimberEncoder, string[]> generated, string sheetPath, string captionsPath)
    {
        var test = model.Test;
        int count = Math.Min(model.LimberRecipe.Evaluation.SheetImages, test.Count);
        var text = new StringBuilder();
        var rows = new List<CaptionSheetRow>();
        for (int i = 0; i < test.Count; i++)
        {
            var a = model.TestAttributes[i];
            var truth = $"#{i} {model.Captions.Classes[test.Labels[i]].Name} ({a.Brightness}, {a.Size})";
            var lines = new List<string> { truth };
            lines.AddRange(generated.Select(g => $"{g.Key.Key(),-9} {model.LimberRecipe.Prompt} {g.Value[i]}"));
            text.AppendLine(string.Join("\n  ", lines));
            if (i < count) rows.Add(new CaptionSheetRow(test.Image(i).ToArray().Select(p => p / 255f).ToArray(), lines));
        }
        File.WriteAllText(captionsPath, text.ToString());
        CaptionSheet.Save(sheetPath, rows, test.Height, test.Width, $"{model.Recipe.Name}: greedy captions after \"{model.LimberRecipe.Prompt}\"");
    }
}
