namespace LangBridge.Training.Evaluation;

/// <summary>
/// Caption metrics to their published definitions, on lower-cased words with punctuation removed:
/// corpus BLEU-4 (Papineni et al. 2002: clipped n-gram precisions for n = 1..4, geometric mean, brevity penalty
/// against the closest reference length; no smoothing, so a corpus without a matching 4-gram scores 0) and
/// CIDEr-D (Vedantam et al. 2015, as the COCO caption evaluation computes it: TF-IDF n-gram vectors with document
/// frequencies over the reference sets, candidate counts clipped to the reference's, a Gaussian length penalty
/// with σ = 6, averaged over n = 1..4 and the references, times 10).
/// </summary>
public static class CaptionScores
{
    public const int MaxN = 4;
    public const double CiderSigma = 6.0;

    /// <summary>Lower-case words, punctuation dropped.</summary>
    public static string[] Words(string caption) =>
        new string(caption.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) || c == '\'' || c == '-' ? c : ' ').ToArray())
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The n-grams of <paramref name="words"/> with their counts.</summary>
    public static Dictionary<string, int> NGrams(IReadOnlyList<string> words, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= words.Count; i++)
        {
            var key = string.Join(' ', words.Skip(i).Take(n));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }

    /// <summary>Clipped n-gram matches and the candidate's n-gram count (the modified precision's numerator and denominator).</summary>
    public static (int Matches, int Total) ModifiedPrecision(string candidate, IReadOnlyList<string> references, int n)
    {
        var c = NGrams(Words(candidate), n);
        var maxRef = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in references)
            foreach (var (g, k) in NGrams(Words(r), n)) maxRef[g] = Math.Max(maxRef.GetValueOrDefault(g), k);
        return (c.Sum(kv => Math.Min(kv.Value, maxRef.GetValueOrDefault(kv.Key))), c.Values.Sum());
    }

    /// <summary>Corpus BLEU-4 of <paramref name="candidates"/>, each with its references.</summary>
    public static double Bleu4(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        Check(candidates, references);
        var matches = new long[MaxN];
        var totals = new long[MaxN];
        long candidateLength = 0, referenceLength = 0;
        for (int i = 0; i < candidates.Count; i++)
        {
            for (int n = 1; n <= MaxN; n++)
            {
                var (m, t) = ModifiedPrecision(candidates[i], references[i], n);
                matches[n - 1] += m;
                totals[n - 1] += t;
            }
            int c = Words(candidates[i]).Length;
            candidateLength += c;
            // The closest reference length; a tie goes to the shorter.
            referenceLength += references[i].Select(r => Words(r).Length).OrderBy(l => Math.Abs(l - c)).ThenBy(l => l).First();
        }
        if (candidateLength == 0 || matches.Any(m => m == 0)) return 0;
        double logPrecision = Enumerable.Range(0, MaxN).Average(n => Math.Log((double)matches[n] / totals[n]));
        double brevity = candidateLength > referenceLength ? 1 : Math.Exp(1 - (double)referenceLength / candidateLength);
        return brevity * Math.Exp(logPrecision);
    }

    /// <summary>Corpus CIDEr-D: the mean of <see cref="CiderDScores"/>.</summary>
    public static double CiderD(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references) =>
        CiderDScores(candidates, references).Average();

    /// <summary>CIDEr-D of each candidate against its references, document frequencies taken over all reference sets.</summary>
    public static double[] CiderDScores(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        Check(candidates, references);
        var refGrams = references.Select(rs => rs.Select(r => Grams(Words(r))).ToArray()).ToArray();
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var set in refGrams)
            foreach (var g in set.SelectMany(r => r.SelectMany(n => n.Keys)).Distinct()) df[g] = df.GetValueOrDefault(g) + 1;
        double logN = Math.Log(candidates.Count);

        (Dictionary<string, double>[] Vec, double[] Norm, int Length) Vector(Dictionary<string, int>[] grams, int length)
        {
            var vec = new Dictionary<string, double>[MaxN];
            var norm = new double[MaxN];
            for (int n = 0; n < MaxN; n++)
            {
                vec[n] = grams[n].ToDictionary(kv => kv.Key, kv => kv.Value * (logN - Math.Log(Math.Max(1, df.GetValueOrDefault(kv.Key)))));
                norm[n] = Math.Sqrt(vec[n].Values.Sum(v => v * v));
            }
            return (vec, norm, length);
        }

        var scores = new double[candidates.Count];
        for (int i = 0; i < candidates.Count; i++)
        {
            var words = Words(candidates[i]);
            var hyp = Vector(Grams(words), words.Length);
            var sum = new double[MaxN];
            for (int j = 0; j < references[i].Count; j++)
            {
                var reference = Vector(refGrams[i][j], Words(references[i][j]).Length);
                double delta = hyp.Length - reference.Length;
                for (int n = 0; n < MaxN; n++)
                {
                    double dot = hyp.Vec[n].Sum(kv => reference.Vec[n].TryGetValue(kv.Key, out var r) ? Math.Min(kv.Value, r) * r : 0);
                    if (hyp.Norm[n] != 0 && reference.Norm[n] != 0) dot /= hyp.Norm[n] * reference.Norm[n];
                    sum[n] += dot * Math.Exp(-(delta * delta) / (2 * CiderSigma * CiderSigma));
                }
            }
            scores[i] = sum.Average() / references[i].Count * 10.0;
        }
        return scores;
    }

    private static Dictionary<string, int>[] Grams(IReadOnlyList<string> words) =>
        Enumerable.Range(1, MaxN).Select(n => NGrams(words, n)).ToArray();

    private static void Check(IReadOnlyList<string> candidates, IReadOnlyList<IReadOnlyList<string>> references)
    {
        if (candidates.Count == 0) throw new ArgumentException("no captions to score", nameof(candidates));
        if (candidates.Count != references.Count) throw new ArgumentException($"{candidates.Count} candidates but {references.Count} reference sets");
        if (references.Any(r => r.Count == 0)) throw new ArgumentException("every candidate needs at least one reference", nameof(references));
    }
}
