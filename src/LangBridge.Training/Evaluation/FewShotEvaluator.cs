namespace LangBridge.Training.Evaluation;

/// <summary>How a K-shot query weighs a class's K support images.</summary>
public enum FewShotRule
{
    /// <summary>The class of the single support image sharing the most distinct tokens with the query.</summary>
    NearestNeighbour,

    /// <summary>The class whose K support images share the most distinct tokens with the query in sum.</summary>
    ClassVote,
}

/// <summary>
/// N-way K-shot classification by token overlap (distinct tokens two images share). Episodes are sampled
/// with a fixed seed, so the number is reproducible; with one shot both <see cref="FewShotRule"/>s agree.
/// </summary>
public static class FewShotEvaluator
{
    /// <summary>Mean accuracy over <paramref name="episodes"/> episodes.</summary>
    /// <param name="tokens">Token ids per image.</param>
    /// <param name="labels">Class per image.</param>
    public static double Accuracy(IReadOnlyList<long[]> tokens, IReadOnlyList<int> labels, int ways, int shots,
        int queriesPerClass, int episodes, int seed, FewShotRule rule = FewShotRule.NearestNeighbour)
    {
        if (tokens.Count != labels.Count) throw new ArgumentException("one label per token sequence");
        var byClass = labels.Select((label, index) => (label, index)).GroupBy(p => p.label)
            .ToDictionary(g => g.Key, g => g.Select(p => p.index).ToArray());
        var classes = byClass.Keys.Where(c => byClass[c].Length >= shots + queriesPerClass).Order().ToArray();
        if (classes.Length < ways)
            throw new ArgumentException($"{ways}-way {shots}-shot needs {ways} classes with {shots + queriesPerClass} images; found {classes.Length}");

        var sets = tokens.Select(t => new HashSet<long>(t)).ToArray();
        var random = new Random(seed);
        long correct = 0, total = 0;
        for (int e = 0; e < episodes; e++)
        {
            var episodeClasses = Sample(random, classes, ways);
            var support = new int[ways][];
            var queries = new List<(int Image, int Way)>();
            for (int w = 0; w < ways; w++)
            {
                var picked = Sample(random, byClass[episodeClasses[w]], shots + queriesPerClass);
                support[w] = picked[..shots];
                foreach (var q in picked[shots..]) queries.Add((q, w));
            }
            foreach (var (image, way) in queries)
            {
                int bestWay = -1, ties = 0;
                double bestScore = double.NegativeInfinity;
                for (int w = 0; w < ways; w++)
                {
                    double score = 0;
                    foreach (var s in support[w])
                    {
                        int overlap = Overlap(sets[image], sets[s]);
                        score = rule == FewShotRule.ClassVote ? score + overlap : Math.Max(score, overlap);
                    }
                    // Ties go to a uniformly random tied way (reservoir sampling), so a tie never looks like skill.
                    if (score > bestScore)
                    {
                        bestScore = score;
                        bestWay = w;
                        ties = 1;
                    }
                    else if (score == bestScore && random.Next(++ties) == 0)
                    {
                        bestWay = w;
                    }
                }
                if (bestWay == way) correct++;
                total++;
            }
        }
        return (double)correct / total;
    }

    private static int Overlap(HashSet<long> a, HashSet<long> b)
    {
        var (small, large) = a.Count <= b.Count ? (a, b) : (b, a);
        int n = 0;
        foreach (var t in small) if (large.Contains(t)) n++;
        return n;
    }

    private static T[] Sample<T>(Random random, T[] items, int count)
    {
        var copy = (T[])items.Clone();
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, copy.Length);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return copy[..count];
    }
}
