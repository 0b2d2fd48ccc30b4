using System.Text;
using LangBridge.Runtime;

namespace LangBridge.Training.Language;

/// <summary>
/// Learns a byte-level BPE vocabulary (GPT-2's layout, read by <see cref="BytePairTokenizer"/>) from text: the
/// 256 byte tokens, then the most frequent adjacent pair within GPT-2's pre-tokenised pieces merged, again and
/// again, until the vocabulary has the size asked for; <c>&lt;|endoftext|&gt;</c> is the last id. Ties go to
/// the pair of lower token ids, so the same text always gives the same vocabulary. Pair counts are updated
/// only for the pieces a merge touches, which keeps a few million words to seconds.
/// </summary>
public static class BytePairTrainer
{
    public static BytePairVocabulary Train(IEnumerable<string> texts, int vocabularySize, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (vocabularySize < 257) throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "a byte-level vocabulary needs at least 256 byte tokens and the end-of-text token");

        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.Char((byte)b).ToString()).ToList();
        var byteId = new Dictionary<char, int>();
        for (int b = 0; b < 256; b++) byteId[ByteLevelAlphabet.Char((byte)b)] = b;

        // Distinct pieces with their counts, each as a list of token ids.
        var pieceCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var piece in BytePairTokenizer.Pieces(text))
                pieceCounts[piece] = pieceCounts.GetValueOrDefault(piece) + 1;
        var words = pieceCounts.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => (Symbols: ByteLevelAlphabet.Spell(Encoding.UTF8.GetBytes(p.Key)).Select(c => byteId[c]).ToList(), Count: p.Value))
            .ToArray();

        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        void Count(int w, int sign)
        {
            var s = words[w].Symbols;
            for (int i = 0; i + 1 < s.Count; i++)
            {
                var pair = (s[i], s[i + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + sign * words[w].Count;
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(pair, out var set)) pairWords[pair] = set = [];
                    set.Add(w);
                }
            }
        }
        for (int w = 0; w < words.Length; w++) Count(w, +1);

        var merges = new List<(string, string)>();
        var ids = tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        int target = vocabularySize - 1;                                                    // the last id is <|endoftext|>
        while (tokens.Count < target && merges.Count < 4 * target)
        {
            (int, int) best = default;
            long bestCount = 0;
            foreach (var (pair, count) in pairCounts)
                if (count > bestCount || (count == bestCount && count > 0 && pair.CompareTo(best) < 0)) (best, bestCount) = (pair, count);
            if (bestCount < 2) break;                                                        // nothing repeats: more merges would only memorise
            // Two merge paths can spell the same token ("ab"+"c", "a"+"bc"): the rule is new, the token is not.
            var spelled = tokens[best.Item1] + tokens[best.Item2];
            if (!ids.TryGetValue(spelled, out var merged))
            {
                merged = tokens.Count;
                tokens.Add(spelled);
                ids[spelled] = merged;
            }
            merges.Add((tokens[best.Item1], tokens[best.Item2]));
            foreach (var w in pairWords[best].ToArray())
            {
                Count(w, -1);
                var s = words[w].Symbols;
                var next = new List<int>(s.Count);
                for (int i = 0; i < s.Count; i++)
                {
                    if (i + 1 < s.Count && s[i] == best.Item1 && s[i + 1] == best.Item2) { next.Add(merged); i++; }
                    else next.Add(s[i]);
                }
                words[w] = (next, words[w].Count);
                Count(w, +1);
            }
            pairCounts.Remove(best);
            pairWords.Remove(best);
            if (merges.Count % 1000 == 0) log?.Invoke($"BPE: {merges.Count:N0} merges, vocabulary {tokens.Count + 1:N0} of {vocabularySize:N0}");
        }
        ids[BytePairVocabulary.EndOfTextToken] = tokens.Count;
        return new BytePairVocabulary(ids, merges);
    }
}
