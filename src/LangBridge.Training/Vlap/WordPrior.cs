using LangBridge.Data;
using LangBridge.Training.Limber;
using static TorchSharp.torch;

namespace LangBridge.Training.Vlap;

/// <summary>
/// VLAP's word-frequency prior: the share of each LM token in the LM's pretraining corpus, add-one smoothed
/// (softmax of the log counts + 1), as the marginal the Sinkhorn assignment spreads the words' mass by.
/// Counted once per LM and cached (<c>word-prior.safetensors</c> in the run's checkpoint folder).
/// </summary>
/// <param name="Probabilities">(V) summing to 1.</param>
/// <param name="Source">What it was counted from, recorded with the checkpoint.</param>
public sealed record WordPrior(float[] Probabilities, string Source)
{
    public const string CacheFile = "word-prior.safetensors";

    /// <summary>Every token the same mass.</summary>
    public static WordPrior Uniform(int vocabulary, string why) =>
        new(Enumerable.Repeat(1f / vocabulary, vocabulary).ToArray(), "uniform (" + why + ")");

    /// <summary>Token counts of <paramref name="documents"/>, smoothed and normalised.</summary>
    public static WordPrior Count(IEnumerable<string> documents, Runtime.BytePairTokenizer tokenizer, string source)
    {
        var counts = new double[tokenizer.Vocabulary.Count];
        foreach (var document in documents)
            foreach (var id in tokenizer.Encode(document)) counts[id]++;
        double total = counts.Sum() + counts.Length;
        return new WordPrior(counts.Select(c => (float)((c + 1) / total)).ToArray(), source);
    }

    /// <summary>The prior <paramref name="recipe"/> asks for over <paramref name="lm"/>'s tokens, from the cache in <paramref name="cacheDir"/> or counted there.</summary>
    public static WordPrior For(VlapRecipe recipe, FrozenLanguageModel lm, string cacheDir, Action<string>? log)
    {
        int v = lm.Tokenizer.Vocabulary.Count;
        if (recipe.Assignment.Prior == VlapPrior.Uniform) return Uniform(v, "recipe");
        if (lm.Corpus is null) return Uniform(v, "the LM brings no pretraining corpus");
        var source = $"token frequencies of the {lm.Corpus.Train.Count} training documents of LM {lm.Source}";
        var path = Path.Combine(cacheDir, CacheFile);
        if (File.Exists(path))
        {
            using var file = Safetensors.Open(path);
            if (file.Metadata.TryGetValue("source", out var s) && s == source && file.Get("prior").Shape[0] == v)
                return new WordPrior(file.ReadFloat32("prior"), source);
        }
        log?.Invoke($"word prior: counting tokens of {lm.Corpus.Train.Count:N0} documents...");
        var prior = Count(lm.Corpus.Train, lm.Tokenizer, source);
        Directory.CreateDirectory(cacheDir);
        Safetensors.WriteFile(path, [SafeTensor.Float32("prior", [v], prior.Probabilities)], new Dictionary<string, string> { ["source"] = source });
        return prior;
    }

    /// <summary>log prior (V).</summary>
    public Tensor Log() => tensor(Probabilities).log();
}
