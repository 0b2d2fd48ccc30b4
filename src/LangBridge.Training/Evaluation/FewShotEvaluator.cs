using LangBridge.Data;
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
/// N-way K-shot classification by token overlap (distinct tokens two images share), or by pixel distance
/// as the baseline. Episodes are sampled with a fixed seed, so the number is reproducible; with one shot
/// both <see cref="FewShotRule"/>s agree.
/// </summary>
public static class FewShotEvaluator
{
    /// <summary>Mean accuracy over <paramref name="episodes"/> episodes, by token overlap.</summary>
    /// <param name="tokens">Token ids per image.</param>
    /// <param name="labels">Class per image.</param>
    public static double Accuracy(IReadOnlyList<long[]> tokens, IReadOnlyList<int> labels, int ways, int shots,
        int queriesPerClass, int episodes, int seed, FewShotRule rule = FewShotRule.NearestNeighbour)
    {
        if (tokens.Count != labels.Count) throw new ArgumentException("one label per token sequence");
        return Accuracy(labels, TokenOverlap(tokens), ways, shots, queriesPerClass, episodes, seed, rule);
    }

    /// <summary>
    /// Token overlap of two images (by index) as a similarity for <see cref="Accuracy(IReadOnlyList{int}, Func{int, int, double}, int, int, int, int, int, FewShotRule)"/>;
    /// builds each image's token set once, so several evaluations can share it.
    /// </summary>
    public static Func<int, int, double> TokenOverlap(IReadOnlyList<long[]> tokens)
    {
        var sets = tokens.Select(t => new HashSet<long>(t)).ToArray();
        return (a, b) => Overlap(sets[a], sets[b]);
    }

    /// <summary>
    /// Mean accuracy over <paramref name="episodes"/> episodes by nearest neighbour in pixel space (smallest
    /// squared distance): the baseline the words are measured against, with the same episodes' protocol.
    /// </summary>
    /// <param name="pixels">All images, <paramref name="imageSize"/> bytes each.</param>
    public static double PixelAccuracy(byte[] pixels, int imageSize, IReadOnlyList<int> labels, int ways, int shots,
        int queriesPerClass, int episodes, int seed)
    {
        if (pixels.Length != (long)labels.Count * imageSize) throw new ArgumentException("one label per image");
        return Accuracy(labels, (a, b) => -SquaredDistance(pixels.AsSpan(a * imageSize, imageSize), pixels.AsSpan(b * imageSize, imageSize)),
            ways, shots, queriesPerClass, episodes, seed, FewShotRule.NearestNeighbour);
    }

    /// <summary>The same episodes by nearest neighbour in cosine similarity of dense features (M, F), row-major.</summary>
    public static double FeatureAccuracy(float[] features, int dimension, IReadOnlyList<int> labels, int ways, int shots,
        int queriesPerClass, int episodes, int seed)
    {
        if (features.Length != (long)labels.Count * dimension) throw new ArgumentException("one label per feature row");
        var unit = new float[features.Length];
        for (int i = 0; i < labels.Count; i++)
        {
            double squares = 0;
            for (int k = 0; k < dimension; k++) squares += (double)features[i * dimension + k] * features[i * dimension + k];
            float scale = (float)(1 / Math.Max(Math.Sqrt(squares), 1e-12));
            for (int k = 0; k < dimension; k++) unit[i * dimension + k] = features[i * dimension + k] * scale;
        }
        double Cosine(int a, int b)
        {
            double dot = 0;
            for (int k = 0; k < dimension; k++) dot += unit[a * dimension + k] * unit[b * dimension + k];
            return dot;
        }
        return Accuracy(labels, Cosine,
            ways, shots, queriesPerClass, episodes, seed, FewShotRule.NearestNeighbour);
    }

    /// <summary>Mean accuracy over <paramref name="episodes"/> episodes for any similarity of two images (by index; larger is closer).</summary>
    public static double Accuracy(IReadOnlyList<int> labels, Func<int, int, double> similarity, int ways, int shots,
        int queriesPerClass, int episodes, int seed, FewShotRule rule = FewShotRule.NearestNeighbour)
    {
        var byClass = labels.Select((label, index) => (label, index)).GroupBy(p => p.label)
            .ToDictionary(g => g.Key, g => g.Select(p => p.index).ToArray());
        var classes = byClass.Keys.Where(c => byClass[c].Length >= shots + queriesPerClass).Order().ToArray();
        if (classes.Length < ways)
            throw new DataException($"{ways}-way {shots}-shot needs {ways} classes with {shots + queriesPerClass} images each; the evaluation set has {classes.Length} " +
                                    "(raise evaluation.testLimit)");

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
                    double score = rule == FewShotRule.ClassVote ? 0 : double.NegativeInfinity;
                    foreach (var s in support[w])
                    {
                        double similar = similarity(image, s);
                        score = rule == FewShotRule.ClassVote ? score + similar : Math.Max(score, similar);
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

    private static double SquaredDistance(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = a[i] - b[i];
            sum += d * d;
        }
        return sum;
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
