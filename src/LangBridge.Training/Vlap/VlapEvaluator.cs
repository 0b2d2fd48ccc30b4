using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LangBridge.Training.Captions;
using LangBridge.Training.Kinds;
using LangBridge.Training.Limber;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Reports;
using static TorchSharp.torch;

namespace LangBridge.Training.Vlap;

/// <summary>One set of bridges' numbers for one encoder: LiMBeR's captioning metrics and the word-space ones.</summary>
public sealed record VlapBridgeMetrics
{
    /// <summary>The mapped image vector's nearest class-name embedding is its class's.</summary>
    [JsonPropertyName("zero_shot_accuracy")] public double ZeroShotAccuracy { get; init; }
    [JsonPropertyName("retrieval_i2t_r1")] public double ImageToTextR1 { get; init; }
    [JsonPropertyName("retrieval_i2t_r5")] public double ImageToTextR5 { get; init; }
    [JsonPropertyName("retrieval_t2i_r1")] public double TextToImageR1 { get; init; }
    [JsonPropertyName("retrieval_t2i_r5")] public double TextToImageR5 { get; init; }
    /// <summary>mapped(a X) − mapped(b X) + mapped(b Y) retrieves a Y, over every attribute swap (both attributes).</summary>
    [JsonPropertyName("arithmetic_accuracy")] public double ArithmeticAccuracy { get; init; }
    [JsonPropertyName("arithmetic_brightness_accuracy")] public double ArithmeticBrightnessAccuracy { get; init; }
    [JsonPropertyName("arithmetic_size_accuracy")] public double ArithmeticSizeAccuracy { get; init; }
    [JsonPropertyName("caption_class_accuracy")] public double ClassAccuracy { get; init; }
    [JsonPropertyName("caption_attribute_accuracy")] public double AttributeAccuracy { get; init; }
    [JsonPropertyName("bleu4")] public double Bleu4 { get; init; }
    [JsonPropertyName("cider_d")] public double CiderD { get; init; }
    [JsonPropertyName("heldout_caption_perplexity")] public double HeldOutCaptionPerplexity { get; init; }
    /// <summary>Each class's mean mapped vector's nearest vocabulary tokens.</summary>
    [JsonPropertyName("nearest_words")] public required IReadOnlyDictionary<string, string[]> NearestWords { get; init; }
    /// <summary>The LiMBeR twin's numbers (same encoder, LM, captions and budget); absent in the twin's own block.</summary>
    [JsonPropertyName("limber")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public VlapBridgeMetrics? Limber { get; init; }
}

/// <summary>The VLAP report (<c>metrics.json</c>): one block per encoder, each with its LiMBeR twin under <c>limber</c>.</summary>
public sealed record VlapReport
{
    public required string Model { get; init; }
    public required string RecipeSha256 { get; init; }
    [JsonPropertyName("limber_recipe")] public required string LimberRecipe { get; init; }
    [JsonPropertyName("test_images")] public int TestImages { get; init; }
    [JsonPropertyName("train_images")] public int TrainImages { get; init; }
    [JsonPropertyName("lm_source")] public required string LmSource { get; init; }
    [JsonPropertyName("word_prior")] public required string WordPrior { get; init; }
    [JsonPropertyName("text_feature")] public required string TextFeature { get; init; }
    /// <summary>Where the LiMBeR twins' captioning numbers come from (its report, or captioned here).</summary>
    [JsonPropertyName("limber_captions_from")] public string? LimberCaptionsFrom { get; init; }
    [JsonPropertyName("arithmetic_queries")] public int ArithmeticQueries { get; init; }
    public required IReadOnlyDictionary<string, VlapBridgeMetrics> Encoders { get; init; }
    [JsonPropertyName("train_seconds")] public double? TrainSeconds { get; init; }
}

/// <summary>
/// VLAP's evaluation, for its bridges and the LiMBeR twin's alike: captioning (LiMBeR's evaluator), zero-shot
/// classification against the class names' word embeddings, image↔text retrieval R@1/R@5 on held-out captions,
/// the nearest words of each class's mean mapped vector (a sheet), and visual arithmetic over attribute swaps.
/// </summary>
public static class VlapEvaluator
{
    public const string WordsSheetFile = "words.png", WordsFile = "words.txt";

    public static EvaluationReport Evaluate(VlapKindModel model, KindContext context, string reportDir, TrainingResult? training)
    {
        Directory.CreateDirectory(reportDir);
        var shared = model.Shared;
        shared.Module.eval();
        var sheet = Path.Combine(reportDir, LimberEvaluator.SheetFile);
        var captionsFile = Path.Combine(reportDir, LimberEvaluator.CaptionsFile);
        var captioning = LimberEvaluator.Evaluate(shared, training, context.Log, sheet, captionsFile);

        var twin = model.LimberTwin;
        IReadOnlyDictionary<string, LimberEncoderMetrics>? twinCaptions = null;
        string? twinCaptionsFrom = null;
        if (twin is not null)
        {
            var limberReport = Path.Combine(context.Run(model.LimberRecipe.Name).ReportDir, "metrics.json");
            twinCaptions = ReadCaptioning(limberReport, model.LimberRecipe.Sha256, twin);
            if (twinCaptions is not null) twinCaptionsFrom = limberReport;
            else
            {
                context.Report($"LiMBeR {model.LimberRecipe.Name} has no current report: captioning its test images here");
                var dir = Path.Combine(reportDir, "limber");
                Directory.CreateDirectory(dir);
                twinCaptions = LimberEvaluator.Evaluate(twin, null, context.Log, Path.Combine(dir, LimberEvaluator.SheetFile), Path.Combine(dir, LimberEvaluator.CaptionsFile)).Encoders;
                twinCaptionsFrom = "captioned by this evaluation";
            }
        }

        var probe = new WordProbe(model);
        var blocks = new Dictionary<string, VlapBridgeMetrics>();
        var words = new StringBuilder();
        var rows = new List<CaptionSheetRow>();
        var nearest = new Dictionary<LimberEncoder, (IReadOnlyDictionary<string, string[]> Vlap, IReadOnlyDictionary<string, string[]>? Limber)>();
        foreach (var encoder in shared.Encoders)
        {
            context.Report($"{encoder}: zero-shot, retrieval, nearest words and arithmetic...");
            var mine = Block(probe, shared, encoder, captioning.Encoders[encoder.Key()]);
            var theirs = twin is not null && twinCaptions is not null ? Block(probe, twin, encoder, twinCaptions[encoder.Key()]) : null;
            blocks[encoder.Key()] = mine with { Limber = theirs };
            nearest[encoder] = (mine.NearestWords, theirs?.NearestWords);
            context.Report($"{encoder}: VLAP zero-shot {mine.ZeroShotAccuracy:F3}, i2t R@1 {mine.ImageToTextR1:F3}, t2i R@1 {mine.TextToImageR1:F3}, arithmetic {mine.ArithmeticAccuracy:F3}" +
                           (theirs is null ? "" : $"; LiMBeR {theirs.ZeroShotAccuracy:F3}, {theirs.ImageToTextR1:F3}, {theirs.TextToImageR1:F3}, {theirs.ArithmeticAccuracy:F3}"));
        }
        var classes = shared.Captions.Classes;
        for (int c = 0; c < classes.Count; c++)
        {
            var lines = new List<string> { classes[c].Name };
            foreach (var (encoder, (vlap, limber)) in nearest)
            {
                lines.Add($"{encoder.Key(),-9} VLAP   {string.Join(" ", vlap[classes[c].Name])}");
                if (limber is not null) lines.Add($"{"",-9} LiMBeR {string.Join(" ", limber[classes[c].Name])}");
            }
            words.AppendLine(string.Join("\n  ", lines));
            rows.Add(new CaptionSheetRow(probe.MeanImage(c), lines));
        }
        var wordsFile = Path.Combine(reportDir, WordsFile);
        var wordsSheet = Path.Combine(reportDir, WordsSheetFile);
        File.WriteAllText(wordsFile, words.ToString());
        CaptionSheet.Save(wordsSheet, rows, shared.Test.Height, shared.Test.Width, $"{model.Recipe.Name}: nearest LM words of each class's mean mapped image (mean test image)");

        var report = new VlapReport
        {
            Model = model.Recipe.Name, RecipeSha256 = model.Recipe.Sha256, LimberRecipe = model.LimberRecipe.Name,
            TestImages = shared.Test.Count, TrainImages = shared.Train.Count, LmSource = shared.InputHashes["lm"], WordPrior = model.Prior.Source,
            TextFeature = model.VlapRecipe.Assignment.Text.ToString().ToLowerInvariant(), LimberCaptionsFrom = twinCaptionsFrom,
            ArithmeticQueries = probe.ArithmeticQueries, Encoders = blocks, TrainSeconds = training?.Seconds,
        };
        return new EvaluationReport(report, [sheet, captionsFile, wordsSheet, wordsFile]);
    }

    private static VlapBridgeMetrics Block(WordProbe probe, LimberKindModel bridges, LimberEncoder encoder, LimberEncoderMetrics captions)
    {
        var w = probe.Measure(bridges, encoder);
        return w with
        {
            ClassAccuracy = captions.ClassAccuracy, AttributeAccuracy = captions.AttributeAccuracy, Bleu4 = captions.Bleu4,
            CiderD = captions.CiderD, HeldOutCaptionPerplexity = captions.HeldOutCaptionPerplexity,
        };
    }

    /// <summary>The encoder blocks of a LiMBeR report written for this recipe (same hash) over the same encoders, or null.</summary>
    private static IReadOnlyDictionary<string, LimberEncoderMetrics>? ReadCaptioning(string path, string sha256, LimberKindModel twin)
    {
        if (!File.Exists(path)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        if (!root.TryGetProperty("recipe_sha256", out var sha) || sha.GetString() != sha256) return null;
        if (!root.TryGetProperty("test_images", out var n) || n.GetInt32() != twin.Test.Count) return null;
        var blocks = root.GetProperty("encoders").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Deserialize<LimberEncoderMetrics>()!);
        return twin.Encoders.All(e => blocks.ContainsKey(e.Key()) && blocks[e.Key()].Source == twin.EncoderSource(e)) ? blocks : null;
    }
}
