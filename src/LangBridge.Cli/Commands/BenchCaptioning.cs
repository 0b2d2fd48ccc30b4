using LangBridge.Runtime;
using LangBridge.Training.Language;
using LangBridge.Training.Limber;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `bench runtime` for a LiMBeR bundle: 32 new tokens for one image, always to the full length. The runtime's
/// <see cref="Captioner"/> (the decoding graph fed its own presents) against the same graph reading the whole prefix
/// again at every step (no cache), and against TorchSharp eager with its cache (<see cref="GptGenerator"/>) and without.
/// </summary>
internal static class BenchCaptioning
{
    public const int NewTokens = 32;

    public static object Run(LimberKindModel model, string bundleDir, int repeats, List<string> problems)
    {
        using var captioner = Captioner.Open(bundleDir);
        using var lmGraph = BundleGraph.Open(captioner.Bundle, Captioner.LanguageModelRole);
        using var embedGraph = BundleGraph.Open(captioner.Bundle, Captioner.EmbeddingsRole);
        var image = new PixelImage(model.Test.Width, model.Test.Height, 1, model.Test.Image(0).ToArray());
        var options = SamplingOptions.Greedy with { MaxTokens = NewTokens, StopAtEndOfText = false };
        var encoder = model.BundleEncoder ?? throw new InvalidOperationException("the bundle's encoder is not available");
        var enc = model.LimberRecipe.Bundle.Encoder;
        var s = captioner.Settings;

        Tensor Prefix()
        {
            using var pixels = tensor(model.Test.Image(0).ToArray()).view(1, 1, model.Test.Height, model.Test.Width).to_type(ScalarType.Float32)
                .div(255f).sub(encoder.Mean).div(encoder.Std);
            return model.Model.Prefix(enc, encoder.Module.call(pixels));                                                  // (1, k + P, D)
        }
        int[] TorchCached()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return GptGenerator.Generate(model.Model.Lm, Prefix(), options, s.EndOfTextId)[0];
        }
        int[] TorchRecomputing()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var sequence = Prefix();
            var ids = new List<int>();
            for (int t = 0; t < NewTokens; t++)
            {
                var logits = model.Model.Lm.Logits(sequence).select(1, -1).contiguous().data<float>().ToArray();
                int next = TokenSampler.ArgMax(logits);
                ids.Add(next);
                using var id = tensor(new long[] { next }, dtype: ScalarType.Int64).view(1, 1);
                sequence = cat([sequence, model.Model.Lm.Embed(id)], 1);
            }
            return ids.ToArray();
        }
        // The runtime's graphs without the cache: the whole sequence from an empty past at every step.
        int[] RuntimeRecomputing()
        {
            var prefix = captioner.Prefix(image);
            var sequence = new List<float>(prefix);
            var ids = new List<int>();
            var empty = Enumerable.Range(0, 2 * s.Layers).Select(i => GraphTensor.FromMemory($"past_key_values.{i / 2}.{(i % 2 == 0 ? "key" : "value")}", Memory<float>.Empty, 1, s.Heads, 0, s.HeadSize)).ToArray();
            for (int t = 0; t < NewTokens; t++)
            {
                long length = sequence.Count / s.Width;
                var data = sequence.ToArray();
                var mask = Enumerable.Repeat(1L, (int)length).ToArray();
                using var x = GraphTensor.FromMemory("inputs_embeds", data.AsMemory(), 1, length, s.Width);
                using var m = GraphTensor.FromMemory("attention_mask", mask.AsMemory(), 1, length);
                using var outs = lmGraph.Run([x, m, .. empty]);
                var v = (int)outs[0].Shape[2];
                int next = TokenSampler.ArgMax(outs[0].GetData<float>().Slice((int)((length - 1) * v), v));
                ids.Add(next);
                var nextIds = new long[] { next };
                using var idTensor = GraphTensor.FromMemory("input_ids", nextIds.AsMemory(), 1, 1);
                using var embedded = embedGraph.Run([idTensor]);
                sequence.AddRange(embedded[0].ToArray<float>());
            }
            foreach (var e in empty) e.Dispose();
            return ids.ToArray();
        }

        var reference = TorchCached();
        var runtime = captioner.Describe(image, options).TokenIds.ToArray();
        if (!reference.SequenceEqual(runtime)) problems.Add("the runtime's greedy caption differs from TorchSharp's");
        if (!reference.SequenceEqual(TorchRecomputing())) problems.Add("TorchSharp without its cache writes another caption than with it");
        if (!reference.SequenceEqual(RuntimeRecomputing())) problems.Add("the runtime without its cache writes another caption than with it");

        double runtimeCached = BenchTiming.Median(repeats, () => captioner.Describe(image, options));
        double runtimeRecomputing = BenchTiming.Median(repeats, RuntimeRecomputing);
        double torchCached = BenchTiming.Median(repeats, TorchCached);
        double torchRecomputing = BenchTiming.Median(repeats, TorchRecomputing);
        AnsiConsole.MarkupLine($"captioning, {NewTokens} new tokens at batch 1: runtime {NewTokens / runtimeCached:F0} tokens/s with its cache, {NewTokens / runtimeRecomputing:F0} recomputing the prefix " +
                               $"({runtimeRecomputing / runtimeCached:F2}×); TorchSharp {NewTokens / torchCached:F0} with its cache, {NewTokens / torchRecomputing:F0} without; runtime vs TorchSharp (both cached) {torchCached / runtimeCached:F2}×");
        return new
        {
            model = model.Recipe.Name,
            new_tokens = NewTokens,
            ids_identical = problems.Count == 0,
            runtime_cached_tokens_per_second = NewTokens / runtimeCached,
            runtime_recomputing_tokens_per_second = NewTokens / runtimeRecomputing,
            cache_speedup = runtimeRecomputing / runtimeCached,
            torchsharp_cached_tokens_per_second = NewTokens / torchCached,
            torchsharp_recomputing_tokens_per_second = NewTokens / torchRecomputing,
            runtime_vs_torchsharp = torchCached / runtimeCached,
            repeats,
            goals = new { cache_speedup_at_least = 4.0, runtime_vs_torchsharp_at_least = 2.0 },
        };
    }
}
