using System.Text;
using System.Text.RegularExpressions;

// Dependency-free on purpose: the language model's pretraining, the captioning bridge's training and
// the runtime's Captioner tokenise with this very code.
namespace LangBridge.Runtime;

/// <summary>
/// GPT-2's byte-level BPE: the text is split by GPT-2's pattern (contractions, letters, digits, other
/// symbols, each with at most one leading space; runs of whitespace), each piece's UTF-8 bytes are spelled
/// in <see cref="ByteLevelAlphabet"/>, and adjacent symbols are merged lowest rank first until no listed
/// merge applies. Decoding concatenates the tokens' bytes, so <c>Decode(Encode(s)) == s</c> for any text.
/// Thread-safe.
/// </summary>
public sealed partial class BytePairTokenizer
{
    private const int CacheLimit = 100_000;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly object _cacheLock = new();

    /// <summary>Creates the tokenizer over <paramref name="vocabulary"/>.</summary>
    public BytePairTokenizer(BytePairVocabulary vocabulary) => Vocabulary = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));

    /// <summary>The vocabulary and merges.</summary>
    public BytePairVocabulary Vocabulary { get; }

    /// <summary>Id of the end-of-text token.</summary>
    public int EndOfTextId => Vocabulary.EndOfTextId;

    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex PiecePattern();

    /// <summary>GPT-2's pre-tokenisation: the pieces BPE runs on, in order; their concatenation is <paramref name="text"/>.</summary>
    public static IEnumerable<string> Pieces(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (Match m in PiecePattern().Matches(text)) yield return m.Value;
    }

    /// <summary>The token ids of <paramref name="text"/> (no special tokens added; <c>&lt;|endoftext|&gt;</c> in the text is plain text).</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>();
        foreach (var piece in Pieces(text)) ids.AddRange(EncodePiece(piece));
        return ids.ToArray();
    }

    /// <summary>The text of <paramref name="ids"/>; bytes that do not form valid UTF-8 become U+FFFD, the end-of-text token is dropped.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id == EndOfTextId) continue;
            if (!ByteLevelAlphabet.TryAppendBytes(Vocabulary.Token(id), bytes))
                throw new FormatException($"token {id} ('{Vocabulary.Token(id)}') is not spelled in the byte alphabet");
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private int[] EncodePiece(string piece)
    {
        lock (_cacheLock)
        {
            if (_cache.TryGetValue(piece, out var hit)) return hit;
        }
        var symbols = ByteLevelAlphabet.Spell(Encoding.UTF8.GetBytes(piece)).Select(c => c.ToString()).ToList();
        var ranks = Vocabulary.Ranks;
        while (symbols.Count > 1)
        {
            int best = int.MaxValue, at = -1;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (ranks.TryGetValue((symbols[i], symbols[i + 1]), out var r) && r < best) (best, at) = (r, i);
            if (at < 0) break;
            var (left, right) = (symbols[at], symbols[at + 1]);
            // Merge every occurrence of the best pair, left to right (GPT-2's reference order).
            var merged = new List<string>(symbols.Count);
            for (int i = 0; i < symbols.Count; i++)
            {
                if (i + 1 < symbols.Count && symbols[i] == left && symbols[i + 1] == right)
                {
                    merged.Add(left + right);
                    i++;
                }
                else merged.Add(symbols[i]);
            }
            symbols = merged;
        }
        var ids = symbols.Select(s => Vocabulary.TryGetId(s, out var id) ? id : throw new FormatException($"BPE produced '{s}', which the vocabulary lacks")).ToArray();
        lock (_cacheLock)
        {
            if (_cache.Count < CacheLimit) _cache[piece] = ids;
        }
        return ids;
    }
}
