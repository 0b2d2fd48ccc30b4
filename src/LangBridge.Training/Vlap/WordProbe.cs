using LangBridge.Layers;
using LangBridge.Training.Captions;
using LangBridge.Training.Limber;
using static TorchSharp.torch;

namespace LangBridge.Training.Vlap;

/// <summary>
/// The word-space measurements of one set of bridges on the test images (VLAP's or LiMBeR's, so both are measured
/// the same way): zero-shot accuracy, image↔text retrieval, each class's nearest words and visual arithmetic.
/// What does not depend on the bridges (class-name vectors, the held-out captions' word scores) is computed once.
/// </summary>
internal sealed class WordProbe
{
    private readonly VlapKindModel model;
    private readonly float[] classVectors;                                                          // (C, D) unit
    private readonly float[] textScores;                                                            // (N, V) unit rows
    private readonly int[] groups;                                                                  // class·4 + brightness·2 + size

    public WordProbe(VlapKindModel model)
    {
        this.model = model;
        var shared = model.Shared;
        var lm = shared.Model;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // A class's vector: the mean input embedding of its name's tokens (read after a space, as in a caption).
        classVectors = L2Normalize.Apply(stack(shared.Captions.Classes.Select(c =>
        {
            using var ids = tensor(lm.Tokenizer.Encode(" " + c.Name).Select(i => (long)i).ToArray(), dtype: ScalarType.Int64);
            return lm.Lm.Embed(ids).mean([0]);
        }).ToArray()), 1, 1e-12).data<float>().ToArray();
        // One held-out caption per test image (the phrasings in turn), as the text side reads it.
        var test = shared.Test;
        var captions = Enumerable.Range(0, test.Count).Select(i =>
        {
            var references = shared.Captions.References(test.Labels[i], shared.TestAttributes[i]);
            return references[i % references.Count];
        }).ToArray();
        var scores = new List<Tensor>();
        for (int start = 0; start < captions.Length; start += 100)
        {
            using var targets = lm.Targets(captions.AsSpan(start, Math.Min(100, captions.Length - start)).ToArray());
            scores.Add(model.Words.Scores(WordSpace.TextFeatures(lm, targets, model.VlapRecipe.Assignment.Text)));
        }
        textScores = L2Normalize.Apply(cat(scores, 0), 1, 1e-12).data<float>().ToArray();
        groups = Enumerable.Range(0, test.Count).Select(i => test.Labels[i] * 4 + (shared.TestAttributes[i].Brightness == "light" ? 2 : 0) + (shared.TestAttributes[i].Size == "large" ? 1 : 0)).ToArray();
    }

    /// <summary>How many attribute-swap queries the last <see cref="Measure"/> asked.</summary>
    public int ArithmeticQueries { get; private set; }

    /// <summary>The mean test image of class <paramref name="label"/>, in [0, 1].</summary>
    public float[] MeanImage(int label)
    {
        var test = model.Shared.Test;
        var sum = new float[test.ImageSize];
        int n = 0;
        for (int i = 0; i < test.Count; i++)
        {
            if (test.Labels[i] != label) continue;
            var image = test.Image(i);
            for (int p = 0; p < sum.Length; p++) sum[p] += image[p];
            n++;
        }
        return sum.Select(s => n == 0 ? 0 : s / n / 255f).ToArray();
    }

    public VlapBridgeMetrics Measure(LimberKindModel bridges, LimberEncoder encoder)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bridges.Module.eval();
        var shared = model.Shared;
        var test = shared.Test;
        int n = test.Count, classes = shared.Captions.Classes.Count;
        var mapped = WordSpace.Mapped(bridges.Model.Bridge(encoder).call(bridges.TestFeatures(encoder)));   // (N, D)
        var unit = L2Normalize.Apply(mapped, 1, 1e-12);
        long d = unit.shape[1];

        var zeroShot = unit.matmul(tensor(classVectors).view(classes, d).t()).argmax(1).data<long>().ToArray();       // (N)
        double zero = Enumerable.Range(0, n).Count(i => zeroShot[i] == test.Labels[i]) / (double)n;

        var imageScores = L2Normalize.Apply(model.Words.Scores(mapped), 1, 1e-12);                                  // (N, V)
        var similarity = imageScores.matmul(tensor(textScores).view(n, -1).t()).data<float>().ToArray();             // (N images, N texts)
        var (i2t1, i2t5) = Recall(similarity, n, byRow: true);
        var (t2i1, t2i5) = Recall(similarity, n, byRow: false);

        var nearest = new Dictionary<string, string[]>();
        for (int c = 0; c < classes; c++)
        {
            using var members = tensor(Enumerable.Range(0, n).Where(i => test.Labels[i] == c).Select(i => (long)i).ToArray(), dtype: ScalarType.Int64);
            if (members.shape[0] == 0) { nearest[shared.Captions.Classes[c].Name] = []; continue; }
            var top = model.Words.Scores(mapped.index_select(0, members).mean([0], keepdim: true)).topk(model.VlapRecipe.Evaluation.NearestWords).indexes.data<long>().ToArray();
            nearest[shared.Captions.Classes[c].Name] = top.Select(id => Word(bridges, (int)id)).ToArray();
        }

        var vectors = unit.data<float>().ToArray();
        var (brightness, bq) = Arithmetic(vectors, (int)d, classes, g => (g >> 1) & 1);
        var (size, sq) = Arithmetic(vectors, (int)d, classes, g => g & 1);
        ArithmeticQueries = bq + sq;
        return new VlapBridgeMetrics
        {
            ZeroShotAccuracy = zero, ImageToTextR1 = i2t1, ImageToTextR5 = i2t5, TextToImageR1 = t2i1, TextToImageR5 = t2i5,
            ArithmeticBrightnessAccuracy = brightness, ArithmeticSizeAccuracy = size,
            ArithmeticAccuracy = bq + sq == 0 ? 0 : (brightness * bq + size * sq) / (bq + sq), NearestWords = nearest,
        };
    }

    private static string Word(LimberKindModel bridges, int id)
    {
        var text = bridges.Model.Tokenizer.Decode([id]).Trim();
        return text.Length > 0 ? text : $"<{id}>";
    }

    /// <summary>
    /// R@1 and R@5 over (N images × N texts) similarities: a hit when one of the K best is relevant, a text being
    /// relevant to an image when it was written for an image of the same class and attributes (the held-out
    /// captions say nothing else, so identical captions of look-alike images are all right answers).
    /// </summary>
    private (double R1, double R5) Recall(float[] similarity, int n, bool byRow)
    {
        int hits1 = 0, hits5 = 0;
        var order = new int[n];
        var keys = new float[n];
        for (int q = 0; q < n; q++)
        {
            for (int j = 0; j < n; j++) { order[j] = j; keys[j] = -(byRow ? similarity[q * n + j] : similarity[j * n + q]); }
            Array.Sort(keys, order);
            for (int k = 0; k < 5; k++)
            {
                if (groups[order[k]] != groups[q]) continue;
                if (k == 0) hits1++;
                hits5++;
                break;
            }
        }
        return (hits1 / (double)n, hits5 / (double)n);
    }

    /// <summary>
    /// Visual arithmetic over one attribute (its value of a group: <paramref name="attribute"/>): with g[c, a] the unit
    /// mean mapped vector of the test images of class c and value a, every query g[x, a] − g[x, b] + g[y, b] (x ≠ y,
    /// a ≠ b) must find g[y, a] nearest among all the other groups (the three it was made from excluded).
    /// Returns the accuracy and the number of queries (those whose four groups all have images).
    /// </summary>
    private (double Accuracy, int Queries) Arithmetic(float[] unit, int d, int classes, Func<int, int> attribute)
    {
        var means = new float[classes * 2][];
        var counts = new int[classes * 2];
        for (int i = 0; i < groups.Length; i++)
        {
            int g = (groups[i] >> 2) * 2 + attribute(groups[i]);
            means[g] ??= new float[d];
            counts[g]++;
            for (int k = 0; k < d; k++) means[g][k] += unit[i * d + k];
        }
        for (int g = 0; g < means.Length; g++)
            if (means[g] is { } m) Normalise(m);
        int queries = 0, hits = 0;
        for (int x = 0; x < classes; x++)
            for (int y = 0; y < classes; y++)
                for (int a = 0; a < 2; a++)
                {
                    if (x == y) continue;
                    int b = 1 - a, xa = x * 2 + a, xb = x * 2 + b, yb = y * 2 + b, ya = y * 2 + a;
                    if (means[xa] is null || means[xb] is null || means[yb] is null || means[ya] is null) continue;
                    var query = new float[d];
                    for (int k = 0; k < d; k++) query[k] = means[xa][k] - means[xb][k] + means[yb][k];
                    int best = -1;
                    double bestScore = double.NegativeInfinity;
                    for (int g = 0; g < means.Length; g++)
                    {
                        if (means[g] is null || g == xa || g == xb || g == yb) continue;
                        double score = 0;
                        for (int k = 0; k < d; k++) score += query[k] * means[g][k];
                        if (score > bestScore) { bestScore = score; best = g; }
                    }
                    queries++;
                    if (best == ya) hits++;
                }
        return (queries == 0 ? 0 : hits / (double)queries, queries);
    }

    private static void Normalise(float[] v)
    {
        double norm = Math.Sqrt(v.Sum(x => (double)x * x));
        if (norm > 0) for (int k = 0; k < v.Length; k++) v[k] = (float)(v[k] / norm);
    }
}
