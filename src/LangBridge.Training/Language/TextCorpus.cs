using System.Globalization;
using LangBridge.Data;

namespace LangBridge.Training.Language;

/// <summary>
/// English text for pretraining the default language model, as documents (one a synset), split once and
/// for all into training and held-out documents. Every document comes from a dictionary written by people,
/// nothing generated.
/// </summary>
public sealed record TextCorpus(IReadOnlyList<string> Train, IReadOnlyList<string> HeldOut)
{
    /// <summary>
    /// WordNet 3.0's glosses and usage examples: a synset becomes "<c>word: definition. Example one. Example two.</c>"
    /// (its first word, the gloss's definition, each quoted example as a sentence). One synset in
    /// <paramref name="heldOutEvery"/>, by offset, is held out, so held-out perplexity measures definitions
    /// the model never read.
    /// </summary>
    public static TextCorpus FromWordNet(WordNet wordnet, int heldOutEvery = 50)
    {
        ArgumentNullException.ThrowIfNull(wordnet);
        if (heldOutEvery < 2) throw new ArgumentOutOfRangeException(nameof(heldOutEvery), heldOutEvery, "must be at least 2");
        var train = new List<string>();
        var heldOut = new List<string>();
        foreach (var synset in wordnet.Synsets)
        {
            var document = Document(synset);
            if (document is null) continue;
            bool held = long.Parse(synset.Offset, CultureInfo.InvariantCulture) % heldOutEvery == heldOutEvery / 2;
            (held ? heldOut : train).Add(document);
        }
        return new TextCorpus(train, heldOut);
    }

    /// <summary>One synset as a document, or null when its gloss is empty.</summary>
    public static string? Document(WordNetSynset synset)
    {
        var definition = synset.Definition.Trim();
        if (definition.Length == 0 || synset.Words.Count == 0) return null;
        var parts = new List<string> { $"{synset.Words[0]}: {Sentence(definition, capitalise: false)}" };
        parts.AddRange(synset.Examples.Select(e => e.Trim()).Where(e => e.Length > 0).Select(e => Sentence(e, capitalise: true)));
        return string.Join(" ", parts);
    }

    private static string Sentence(string text, bool capitalise)
    {
        if (capitalise && char.IsLower(text[0])) text = char.ToUpperInvariant(text[0]) + text[1..];
        return text[^1] is '.' or '!' or '?' ? text : text + ".";
    }
}
