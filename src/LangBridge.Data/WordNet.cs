using System.Globalization;

namespace LangBridge.Data;

/// <summary>A pointer from one synset to another (<c>@</c> hypernym, <c>~</c> hyponym, <c>%p</c> part meronym, …).</summary>
public sealed record WordNetPointer(string Symbol, string Offset, char PartOfSpeech);

/// <summary>One WordNet synset: its words (underscores as spaces), pointers and gloss (definition; examples in quotes).</summary>
public sealed record WordNetSynset(string Offset, char PartOfSpeech, IReadOnlyList<string> Words, IReadOnlyList<WordNetPointer> Pointers, string Gloss)
{
    /// <summary>The gloss without its quoted examples.</summary>
    public string Definition => Gloss.Split(';').Select(p => p.Trim()).FirstOrDefault(p => p.Length > 0 && !p.StartsWith('"')) ?? "";

    /// <summary>The quoted usage examples of the gloss.</summary>
    public IEnumerable<string> Examples => Gloss.Split(';').Select(p => p.Trim()).Where(p => p.StartsWith('"')).Select(p => p.Trim('"'));
}

/// <summary>
/// Reads Princeton WordNet 3.0's database files (<c>data.*</c>, <c>index.*</c>, as Debian's <c>wordnet-base</c>
/// ships them; format in wndb(5WN)). Synsets are looked up by offset, lemmas by their senses in order.
/// </summary>
public sealed class WordNet
{
    private readonly Dictionary<(char, string), WordNetSynset> _synsets;
    private readonly Dictionary<(char, string), string[]> _senses;

    private WordNet(Dictionary<(char, string), WordNetSynset> synsets, Dictionary<(char, string), string[]> senses)
    {
        _synsets = synsets;
        _senses = senses;
    }

    private static readonly (char Pos, string Name)[] Parts = [('n', "noun"), ('v', "verb"), ('a', "adj"), ('r', "adv")];

    /// <summary>Loads every part of speech present in <paramref name="folder"/> (the data cache's <c>wordnet/</c>).</summary>
    public static WordNet Load(string folder)
    {
        var synsets = new Dictionary<(char, string), WordNetSynset>();
        var senses = new Dictionary<(char, string), string[]>();
        foreach (var (pos, name) in Parts)
        {
            var data = Path.Combine(folder, "data." + name);
            var index = Path.Combine(folder, "index." + name);
            if (!File.Exists(data) || !File.Exists(index)) continue;
            foreach (var s in ReadSynsets(data)) synsets[(pos, s.Offset)] = s with { PartOfSpeech = pos };
            foreach (var (lemma, offsets) in ReadIndex(index)) senses[(pos, lemma)] = offsets;
        }
        if (synsets.Count == 0) throw new DataException($"no WordNet database in {folder} (run `langbridge data fetch`)");
        return new WordNet(synsets, senses);
    }

    /// <summary>Synsets loaded.</summary>
    public int Count => _synsets.Count;

    /// <summary>Every synset, by part of speech (n, v, a, r) then offset: a fixed order for anything built from them.</summary>
    public IEnumerable<WordNetSynset> Synsets =>
        _synsets.OrderBy(p => "nvar".IndexOf(p.Key.Item1)).ThenBy(p => p.Key.Item2, StringComparer.Ordinal).Select(p => p.Value);

    /// <summary>The synset at <paramref name="offset"/>.</summary>
    public WordNetSynset Synset(string offset, char pos = 'n') =>
        _synsets.TryGetValue((pos, offset), out var s) ? s : throw new DataException($"WordNet has no {pos} synset {offset}");

    /// <summary>The senses of <paramref name="lemma"/> (spaces or underscores), most frequent first; empty when unknown.</summary>
    public IReadOnlyList<WordNetSynset> Senses(string lemma, char pos = 'n') =>
        _senses.TryGetValue((pos, lemma.ToLowerInvariant().Replace(' ', '_')), out var offsets) ? offsets.Select(o => Synset(o, pos)).ToArray() : [];

    /// <summary>The synsets <paramref name="synset"/>'s hypernym pointers (<c>@</c>, <c>@i</c>) lead to.</summary>
    public IReadOnlyList<WordNetSynset> Hypernyms(WordNetSynset synset) =>
        synset.Pointers.Where(p => p.Symbol is "@" or "@i").Select(p => Synset(p.Offset, p.PartOfSpeech)).ToArray();

    internal static int CountSynsets(string dataFile) => ReadSynsets(dataFile).Count();

    internal static int CountLemmas(string indexFile) => ReadIndex(indexFile).Count();

    // data.*: offset lex_filenum ss_type w_cnt(hex) [word lex_id]… p_cnt [symbol offset pos source/target]… [frames] | gloss
    private static IEnumerable<WordNetSynset> ReadSynsets(string file)
    {
        foreach (var line in File.ReadLines(file))
        {
            if (line.StartsWith("  ", StringComparison.Ordinal)) continue;                      // licence header
            var bar = line.IndexOf(" | ", StringComparison.Ordinal);
            var f = (bar < 0 ? line : line[..bar]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            {
                int words = int.Parse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var lemmas = Enumerable.Range(0, words).Select(i => StripMarker(f[4 + 2 * i]).Replace('_', ' ')).ToArray();
                int p = 4 + 2 * words;
                int pointers = int.Parse(f[p], CultureInfo.InvariantCulture);
                var ptrs = Enumerable.Range(0, pointers).Select(i => new WordNetPointer(f[p + 1 + 4 * i], f[p + 2 + 4 * i], f[p + 3 + 4 * i][0] is 's' ? 'a' : f[p + 3 + 4 * i][0])).ToArray();
                yield return new WordNetSynset(f[0], f[2][0] is 's' ? 'a' : f[2][0], lemmas, ptrs, bar < 0 ? "" : line[(bar + 3)..].Trim());
            }
        }

        static string StripMarker(string w) => w.IndexOf('(') is var k and > 0 ? w[..k] : w;                     // adjective markers: (a), (p), (ip)
    }

    // index.*: lemma pos synset_cnt p_cnt [symbol]… sense_cnt tagsense_cnt [offset]…
    private static IEnumerable<(string Lemma, string[] Offsets)> ReadIndex(string file)
    {
        foreach (var line in File.ReadLines(file))
        {
            if (line.StartsWith("  ", StringComparison.Ordinal)) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int synsets = int.Parse(f[2], CultureInfo.InvariantCulture);
            yield return (f[0], f[^synsets..]);
        }
    }
}
