using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using static TorchSharp.torch;

namespace LangBridge.Training.Language;

/// <summary>
/// Continues prefixes with a frozen <see cref="GptModel"/> through its key/value cache: the prefix is read once,
/// then one token a step. The TorchSharp reference the runtime's captioning is checked against.
/// </summary>
public static class GptGenerator
{
    /// <summary>
    /// New tokens after each prefix of <paramref name="prefix"/> (B, P, D) input embeddings, one
    /// <see cref="TokenSampler"/> a row seeded <c>seed + row</c>; a row stops at <paramref name="endOfText"/>
    /// (not included; unless <see cref="SamplingOptions.StopAtEndOfText"/> is off) or after <see cref="SamplingOptions.MaxTokens"/>.
    /// </summary>
    public static int[][] Generate(GptModel model, Tensor prefix, SamplingOptions options, int endOfText)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long b = prefix.shape[0];
        int steps = (int)Math.Min(options.MaxTokens, model.Config.ContextLength - prefix.shape[1]);
        var samplers = Enumerable.Range(0, (int)b).Select(i => new TokenSampler(options with { Seed = options.Seed + i })).ToArray();
        var output = Enumerable.Range(0, (int)b).Select(_ => new List<int>()).ToArray();
        var done = new bool[b];
        var (logits, cache) = model.Step(prefix, null);
        for (int t = 0; t < steps; t++)
        {
            var last = logits.select(1, -1).contiguous().data<float>().ToArray();           // (B·V)
            int v = model.Config.VocabSize;
            var next = new long[b];
            for (int i = 0; i < b; i++)
            {
                int id = samplers[i].Next(last.AsSpan(i * v, v));
                next[i] = id;
                if (done[i]) continue;
                if (id == endOfText && options.StopAtEndOfText) done[i] = true; else output[i].Add(id);
            }
            if (done.All(d => d) || t == steps - 1) break;
            using var ids = tensor(next, dtype: ScalarType.Int64).view(b, 1);
            var (nextLogits, nextCache) = model.Step(model.Embed(ids), cache);
            cache.Dispose();
            (logits, cache) = (nextLogits, nextCache);
        }
        cache.Dispose();
        return output.Select(o => o.ToArray()).ToArray();
    }

    /// <summary>The continuation of a text prompt, read as the start of a document (after the end-of-text token, as in pretraining).</summary>
    public static string Continue(GptModel model, BytePairTokenizer tokenizer, string prompt, SamplingOptions options)
    {
        using var scope = NewDisposeScope();
        var prompted = new[] { (long)tokenizer.EndOfTextId }.Concat(tokenizer.Encode(prompt).Select(i => (long)i)).ToArray();
        using var ids = tensor(prompted, dtype: ScalarType.Int64).view(1, -1);
        using var noGrad = no_grad();
        return tokenizer.Decode(Generate(model, model.Embed(ids), options, tokenizer.EndOfTextId)[0]);
    }
}
