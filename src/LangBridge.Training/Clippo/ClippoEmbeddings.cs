using static TorchSharp.torch;

namespace LangBridge.Training.Clippo;

/// <summary>Embeds images and captions with a trained <see cref="ClippoModel"/>, in batches, without gradients.</summary>
internal sealed class ClippoEmbeddings(ClippoModel model, ClippoText text, int batchSize = 500)
{
    /// <summary>Images (N, 1, H, W), normalised → (N, E) unit rows.</summary>
    public float[][] Images(Tensor images) => Batched(images.shape[0], (start, count) => model.ImageEncoder.call(images.narrow(0, start, count)));

    /// <summary>Captions → (N, E) unit rows.</summary>
    public float[][] Texts(IReadOnlyList<string> captions) =>
        Batched(captions.Count, (start, count) => model.EmbedText(text.Inputs(captions.Skip((int)start).Take((int)count).ToArray())));

    /// <summary>The mean of each class's prompt embeddings, re-normalised: the zero-shot classifier.</summary>
    public float[][] Classes(IReadOnlyList<IReadOnlyList<string>> prompts) => prompts.Select(p => Normalize(Mean(Texts(p)))).ToArray();

    private float[][] Batched(long n, Func<long, long, Tensor> embed)
    {
        model.eval();
        using var noGrad = no_grad();
        var rows = new List<float[]>();
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var z = embed(start, Math.Min(batchSize, n - start));                          // (B, E)
            var flat = z.data<float>().ToArray();
            int e = (int)z.shape[1];
            for (int i = 0; i < z.shape[0]; i++) rows.Add(flat[(i * e)..((i + 1) * e)]);
        }
        return rows.ToArray();
    }

    public static float Dot(float[] a, float[] b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static float[] Mean(float[][] rows) => Enumerable.Range(0, rows[0].Length).Select(k => rows.Average(r => r[k])).ToArray();

    private static float[] Normalize(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / Math.Max(norm, 1e-12f)).ToArray();
    }

    /// <summary>Index of the row of <paramref name="candidates"/> most similar to <paramref name="query"/>, and the gap to the second best.</summary>
    public static (int Best, float Gap) Nearest(float[] query, float[][] candidates)
    {
        int best = 0;
        float top = float.NegativeInfinity, second = float.NegativeInfinity;
        for (int i = 0; i < candidates.Length; i++)
        {
            var s = Dot(query, candidates[i]);
            if (s > top) { second = top; top = s; best = i; }
            else if (s > second) second = s;
        }
        return (best, top - second);
    }
}
