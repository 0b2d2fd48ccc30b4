using static TorchSharp.torch;

namespace LangBridge.Pretrained.Tests;

/// <summary>Real English sentences and generated natural-ish images shared by the tests.</summary>
public static class TestInputs
{
    /// <summary>Two batches of sentences of different lengths, so padding and the mask matter.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> SentenceBatches { get; } =
    [
        ["A man is playing a guitar.", "The quick brown fox jumps over the lazy dog while the farmer watches from the porch.", "Hello!"],
        ["Café owners in Zürich don't open before nine.", "Stock markets fell sharply on Monday."],
    ];

    /// <summary>
    /// <paramref name="n"/> deterministic RGB images in [0, 255], (N, 3, 224, 224): smooth colour
    /// gradients, a few soft blobs and edges, a little noise, and a 28×28 pattern upsampled the way a
    /// small photo would be, so activations look like those of real photographs rather than noise.
    /// </summary>
    public static Tensor Images(int n, int seed = 7)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)seed);
        var ys = linspace(0, 1, 224).view(1, 1, 224, 1);
        var xs = linspace(0, 1, 224).view(1, 1, 1, 224);
        var list = new List<Tensor>();
        for (int i = 0; i < n; i++)
        {
            var c = rand(3, 3, generator: gen);                                               // per-channel gradient weights
            var img = c[0].view(1, 3, 1, 1) * ys + c[1].view(1, 3, 1, 1) * xs + c[2].view(1, 3, 1, 1) * (ys * xs);
            for (int k = 0; k < 3; k++)
            {
                var centre = rand(2, generator: gen);
                var r2 = (ys - centre[0]).pow(2) + (xs - centre[1]).pow(2);
                img = img + rand(1, 3, 1, 1, generator: gen) * exp(-r2 * 40);               // soft blob
            }
            img = img + (xs > 0.5f + 0.1f * i).to_type(ScalarType.Float32) * 0.3f;            // one hard edge
            var small = rand(1, 3, 28, 28, generator: gen);
            img = img + nn.functional.interpolate(small, [224, 224], mode: InterpolationMode.Bilinear, align_corners: false) * 0.3f;
            img = img + randn(1, 3, 224, 224, generator: gen) * 0.02f;
            list.Add(img);
        }
        var all = cat(list.ToArray(), 0);
        var lo = all.amin([1, 2, 3], keepdim: true); var hi = all.amax([1, 2, 3], keepdim: true);
        return ((all - lo) / (hi - lo) * 255f).round().MoveToOuterDisposeScope();            // whole 8-bit values, as decoded pixels
    }
}
