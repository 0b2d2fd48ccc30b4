using System.Text;
using System.Text.Json.Serialization;
using LangBridge.Runtime;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Language;

/// <summary>A prompt and what the model wrote after it.</summary>
public sealed record GptSample(string Prompt, string Greedy, string Sampled);

/// <summary>The language model's report (<c>metrics.json</c>).</summary>
public sealed record GptReport
{
    public required string Model { get; init; }
    public required string RecipeSha256 { get; init; }
    [JsonPropertyName("heldout_perplexity")] public double HeldOutPerplexity { get; init; }
    [JsonPropertyName("train_perplexity")] public double TrainPerplexity { get; init; }
    [JsonPropertyName("heldout_tokens")] public long HeldOutTokens { get; init; }
    [JsonPropertyName("train_tokens")] public long TrainTokens { get; init; }
    [JsonPropertyName("train_documents")] public int TrainDocuments { get; init; }
    [JsonPropertyName("heldout_documents")] public int HeldOutDocuments { get; init; }
    [JsonPropertyName("vocabulary_size")] public int VocabularySize { get; init; }
    [JsonPropertyName("parameters")] public long Parameters { get; init; }
    [JsonPropertyName("train_seconds")] public double? TrainSeconds { get; init; }
    public required IReadOnlyList<GptSample> Samples { get; init; }
}

/// <summary>Held-out perplexity (the held-out documents, every target token), the same on as many training tokens, and prompted samples.</summary>
public static class GptEvaluator
{
    public const string SamplesFile = "samples.txt";

    public static GptReport Evaluate(GptKindModel model, TrainingResult? training, Action<string>? log, string samplesPath)
    {
        var r = model.GptRecipe;
        var heldOut = new TokenStream(model.Tokenizer, model.Corpus.HeldOut, r.Model.Context);
        var train = new TokenStream(model.Tokenizer, model.Corpus.Train, r.Model.Context);
        int windows = r.Evaluation.HeldOutLimit > 0 ? Math.Min(r.Evaluation.HeldOutLimit, heldOut.WindowCount) : heldOut.WindowCount;
        log?.Invoke($"perplexity on {windows:N0} held-out windows of {r.Model.Context} tokens...");
        double heldOutPpl = Perplexity(model, heldOut, windows);
        double trainPpl = Perplexity(model, train, Math.Min(windows, train.WindowCount));
        log?.Invoke($"held-out perplexity {heldOutPpl:F2}, training {trainPpl:F2}");
        var samples = r.Evaluation.Prompts.Select((p, i) => new GptSample(p,
            GptGenerator.Continue(model.Model, model.Tokenizer, p, SamplingOptions.Greedy with { MaxTokens = r.Evaluation.SampleTokens }),
            GptGenerator.Continue(model.Model, model.Tokenizer, p, SamplingOptions.Nucleus(r.Seed + i) with { MaxTokens = r.Evaluation.SampleTokens }))).ToArray();
        var text = new StringBuilder();
        foreach (var s in samples) text.Append($"prompt: {s.Prompt}\n  greedy:  {s.Prompt}{s.Greedy}\n  sampled: {s.Prompt}{s.Sampled}\n\n");
        File.WriteAllText(samplesPath, text.ToString());
        return new GptReport
        {
            Model = r.Name, RecipeSha256 = r.Sha256, HeldOutPerplexity = heldOutPpl, TrainPerplexity = trainPpl,
            HeldOutTokens = (long)windows * r.Model.Context, TrainTokens = train.TokenCount,
            TrainDocuments = model.Corpus.Train.Count, HeldOutDocuments = model.Corpus.HeldOut.Count, VocabularySize = model.Tokenizer.Vocabulary.Count,
            Parameters = model.Model.parameters().Sum(p => p.numel()), TrainSeconds = training?.Seconds, Samples = samples,
        };
    }

    /// <summary>exp of the mean next-token cross-entropy over the first <paramref name="windows"/> windows of <paramref name="stream"/> (at most all of them).</summary>
    public static double Perplexity(GptKindModel model, TokenStream stream, int windows, int batch = 64)
    {
        using var noGrad = no_grad();
        windows = Math.Min(windows, stream.WindowCount);
        double total = 0;
        long count = 0;
        for (int start = 0; start < windows; start += batch)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batch, windows - start);
            var ids = GptKindModel.Windows(stream, Enumerable.Range(start, n).Select(i => (long)i).ToArray());
            total += model.Model.NextTokenLoss(ids).item<float>() * n * stream.Context;
            count += (long)n * stream.Context;
        }
        return Math.Exp(total / Math.Max(1, count));
    }
}
