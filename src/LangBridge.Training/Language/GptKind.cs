using System.Security.Cryptography;
using System.Text;
using LangBridge.Data;
using LangBridge.Runtime;
using LangBridge.Training.Kinds;

namespace LangBridge.Training.Language;

/// <summary>
/// Kind <c>gpt</c>: a small GPT-2-style causal language model pretrained on WordNet's glosses and examples,
/// with a byte-level BPE vocabulary learned from the same training documents (cached in the data cache). It is
/// trained once and then frozen: the LM a LiMBeR bridge captions through by default.
/// </summary>
public sealed class GptKind : IModelKind
{
    public const string KindName = "gpt";

    public string Name => KindName;

    public string Description => "GPT-2-style causal language model pretrained on English dictionary text";

    public IModelRecipe ParseRecipe(string json, string file) => GptRecipe.Parse(json, file);

    public KindModel Create(IModelRecipe recipe, KindContext context)
    {
        var r = (GptRecipe)recipe;
        var data = context.RequireData("a language model (its text corpus)");
        var corpus = TextCorpus.FromWordNet(WordNet.Load(data.WordNetDir), r.Corpus.HeldOutEvery);
        var vocabulary = TokenizerCache(data, r, corpus, context);
        return new GptKindModel(r, corpus, new BytePairTokenizer(vocabulary));
    }

    /// <summary>
    /// The BPE vocabulary learned from <paramref name="corpus"/>'s training documents, read from the data cache
    /// (<c>bpe/{source}-{heldOutEvery}-{size}/</c>) or learned and written there the first time.
    /// </summary>
    public static BytePairVocabulary TokenizerCache(DataLayout data, GptRecipe recipe, TextCorpus corpus, KindContext context)
    {
        var dir = Path.Combine(data.Root, "bpe", $"{recipe.Corpus.Source}-{recipe.Corpus.HeldOutEvery}-{recipe.Tokenizer.VocabularySize}");
        if (File.Exists(Path.Combine(dir, "merges.txt"))) return BytePairVocabulary.Load(dir);
        context.Report($"learning a {recipe.Tokenizer.VocabularySize:N0}-token BPE vocabulary from {corpus.Train.Count:N0} documents...");
        var vocabulary = BytePairTrainer.Train(corpus.Train, recipe.Tokenizer.VocabularySize, context.Log);
        var staging = dir + ".tmp";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        vocabulary.Save(staging);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.Move(staging, dir);
        return vocabulary;
    }

    /// <summary>SHA-256 of a vocabulary's <c>vocab.json</c> and <c>merges.txt</c> as <see cref="BytePairVocabulary.Save"/> writes them.</summary>
    public static string Hash(BytePairVocabulary vocabulary)
    {
        var text = new StringBuilder();
        for (int i = 0; i < vocabulary.Count; i++) text.Append(vocabulary.Token(i)).Append('\n');
        foreach (var (l, r) in vocabulary.Merges) text.Append(l).Append(' ').Append(r).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
