using LangBridge.Data;
using LangBridge.Pretrained;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using LangBridge.Training.Kinds;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>What an LQAE-with-BERT model is built around: the codebook taken from the BERT's word table and the frozen BERT over it.</summary>
/// <param name="Codebook">The allowed rows of the word table (raw, as the BERT embeds them), with their tokens as words.</param>
/// <param name="BertIds">The BERT vocabulary id of each codebook row.</param>
/// <param name="Bert">The frozen BERT (first k layers) with the same rows and the <c>[MASK]</c> row as its inputs.</param>
public sealed record LqaeBertParts(LanguageCodebook Codebook, long[] BertIds, LqaeBert Bert);

/// <summary>Loads the BERT a recipe's <c>bert</c> section names and builds its codebook and frozen BERT.</summary>
public static class LqaeBertSource
{
    /// <summary>The token BERT's masked positions read.</summary>
    public const string MaskToken = "[MASK]";

    /// <summary>From the data cache's MiniLM or a Hugging Face BERT folder (relative to the repository root).</summary>
    public static LqaeBertParts Load(LqaeRecipe recipe, KindContext context)
    {
        var b = recipe.Bert ?? throw new ArgumentException($"recipe '{recipe.Name}' has no bert section");
        BertEncoder encoder;
        IReadOnlyList<string> vocabulary;
        string origin;
        if (string.Equals(b.Model, BertSection.MiniLm, StringComparison.OrdinalIgnoreCase))
        {
            var files = PretrainedSources.MiniLmFromCache(context.RequireData($"the BERT of recipe '{recipe.Name}'"));
            encoder = PretrainedSources.FrozenMiniLm(files);
            (vocabulary, origin) = (files.Vocabulary, files.Source);
        }
        else
        {
            var folder = context.Resolve(b.Model);
            if (!Directory.Exists(folder))
                throw new RecipeException("(recipe)", "bert.model", $"'{b.Model}' is neither '{BertSection.MiniLm}' nor a folder ({folder} does not exist)");
            encoder = HuggingFaceBert.Load(folder).Encoder;
            (vocabulary, origin) = (WordPieceVocabulary.ReadLines(Path.Combine(folder, HuggingFaceBert.VocabFile)), folder);
        }
        using (encoder) return From(recipe, encoder, vocabulary, origin);
    }

    /// <summary>
    /// The codebook and frozen BERT of <paramref name="recipe"/> from an encoder and its vocabulary (the caller
    /// keeps and disposes <paramref name="encoder"/>; the parts hold copies). Throws <see cref="RecipeException"/>
    /// naming the key the BERT does not fit.
    /// </summary>
    public static LqaeBertParts From(LqaeRecipe recipe, BertEncoder encoder, IReadOnlyList<string> vocabulary, string origin)
    {
        var b = recipe.Bert ?? throw new ArgumentException($"recipe '{recipe.Name}' has no bert section");
        var config = encoder.Config;
        void Require(bool ok, string key, string message)
        {
            if (!ok) throw new RecipeException("(recipe)", key, $"{message} ({origin})");
        }
        Require(config.HiddenSize == recipe.Codebook.Dimension, "codebook.dimension",
            $"the BERT's hidden size is {config.HiddenSize}, the recipe says {recipe.Codebook.Dimension}");
        Require(b.Layers <= config.Layers, "bert.layers", $"the BERT has {config.Layers} layers, the recipe asks for the first {b.Layers}");
        Require(recipe.TokensPerImage <= config.MaxPositions, "encoder.downsample",
            $"{recipe.TokensPerImage} tokens per image are more than the BERT's {config.MaxPositions} positions");
        Require(vocabulary.Count <= config.VocabSize, "bert.model", $"the vocabulary has {vocabulary.Count} tokens, the word table {config.VocabSize} rows");
        int maskId = IndexOf(vocabulary, MaskToken);
        Require(maskId >= 0, "bert.model", $"the vocabulary has no {MaskToken} token");

        var allowed = AllowedRows(vocabulary, b.Vocabulary);
        Require(allowed.Count >= recipe.Codebook.Size, "codebook.size",
            $"the BERT's vocabulary has {allowed.Count:N0} rows allowed by bert.vocabulary '{b.Vocabulary}', the recipe asks for {recipe.Codebook.Size:N0}");
        var ids = allowed.Take(recipe.Codebook.Size).Select(i => (long)i).ToArray();
        // No dispose scope here: the modules built below own tensors that must outlive this call.
        using var noGrad = no_grad();
        var table = encoder.WordEmbeddings;                                                             // (V_bert, D)
        using var index = tensor(ids);
        using var rows = table.index_select(0, index).contiguous();                                     // (V, D)
        using var maskRow = table[maskId];                                                              // (D)
        var codebook = new LanguageCodebook(ids.Select(i => vocabulary[(int)i]).ToArray(), rows.data<float>().ToArray(),
            config.HiddenSize, origin: origin);
        var bert = new LqaeBert(rows, maskRow, BertBody.From(encoder, b.Layers == 0 ? config.Layers : b.Layers));
        return new LqaeBertParts(codebook, ids, bert);
    }

    /// <summary>Row ids of <paramref name="vocabulary"/> a codebook may use, in vocabulary order.</summary>
    public static IReadOnlyList<int> AllowedRows(IReadOnlyList<string> vocabulary, BertVocabulary rows) =>
        Enumerable.Range(0, vocabulary.Count).Where(i => rows == BertVocabulary.All || IsWholeWord(vocabulary[i])).ToArray();

    /// <summary>
    /// A whole lower-case ASCII word: letters a–z only. Leaves out <c>##</c> pieces, <c>[unused…]</c> and the
    /// special tokens, digits, punctuation and other scripts' characters.
    /// </summary>
    public static bool IsWholeWord(string token) => token.Length > 0 && token.All(c => c is >= 'a' and <= 'z');

    private static int IndexOf(IReadOnlyList<string> vocabulary, string token)
    {
        for (int i = 0; i < vocabulary.Count; i++)
            if (vocabulary[i] == token) return i;
        return -1;
    }
}
