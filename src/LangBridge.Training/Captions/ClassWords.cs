using LangBridge.Data;

namespace LangBridge.Training.Captions;

/// <summary>The words a caption may use for one class: its name, WordNet synonyms, hypernyms and definition.</summary>
public sealed record ClassWords(string Name, IReadOnlyList<string> Synonyms, IReadOnlyList<string> Hypernyms, string Definition)
{
    /// <summary>
    /// The Fashion-MNIST classes' WordNet 3.0 noun synsets, chosen by hand (the sense each class means, e.g.
    /// "bag" as handbag), by offset so that the choice is exact and documented.
    /// </summary>
    public static readonly IReadOnlyList<(string Class, string Synset)> FashionMnistSynsets =
    [
        ("t-shirt", "03595614"),     // jersey, T-shirt, tee shirt
        ("trouser", "04489008"),     // trouser, pant
        ("pullover", "04021028"),    // pullover, slipover
        ("dress", "03236735"),       // dress, frock
        ("coat", "03057021"),        // coat
        ("sandal", "04133789"),      // sandal
        ("shirt", "04197391"),       // shirt
        ("sneaker", "03472535"),     // gym shoe, sneaker, tennis shoe
        ("bag", "02774152"),         // bag, handbag, pocketbook, purse
        ("ankle boot", "02872752"),  // boot
    ];

    /// <summary>
    /// The class words of <paramref name="classes"/> (display names, in label order) from <paramref name="wordnet"/>.
    /// Synonyms and hypernyms that are another class's name are left out, so no caption names the wrong class.
    /// </summary>
    public static IReadOnlyList<ClassWords> FromWordNet(WordNet wordnet, IReadOnlyList<(string Class, string Synset)> classes)
    {
        var names = classes.Select(c => c.Class).ToHashSet(StringComparer.Ordinal);
        return classes.Select(c =>
        {
            var synset = wordnet.Synset(c.Synset);
            string[] Clean(IEnumerable<string> words) =>
                words.Select(w => w.ToLowerInvariant()).Where(w => w != c.Class && !names.Contains(w)).Distinct().ToArray();
            return new ClassWords(c.Class, Clean(synset.Words), Clean(wordnet.Hypernyms(synset).SelectMany(h => h.Words)), synset.Definition);
        }).ToArray();
    }
}
