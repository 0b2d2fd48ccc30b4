using LangBridge.Data;
using LangBridge.Runtime;
using static TorchSharp.torch;

namespace LangBridge.Training.Clippo;

/// <summary>
/// Turns captions into a text encoder's input: rendered canvases (CLIPPO), normalised like images, or mean
/// GloVe vectors of the caption's words (the two-tower baseline; words the codebook lacks are skipped).
/// </summary>
public sealed class ClippoText
{
    /// <summary>Pixel normalisation of images and canvases alike: <c>(p/255 − 0.5) / 0.5</c>.</summary>
    public const float Mean = 0.5f, Std = 0.5f;

    private readonly TextRenderer? renderer;
    private readonly LanguageCodebook? glove;

    private ClippoText(TextRenderer? renderer, LanguageCodebook? glove)
    {
        this.renderer = renderer;
        this.glove = glove;
    }

    public static ClippoText Pixels(TextRenderer renderer) => new(renderer, null);

    public static ClippoText Glove(LanguageCodebook glove) => new(null, glove);

    public TextRenderer? Renderer => renderer;

    /// <summary>(B, 1, S, S) canvases or (B, D) mean word vectors.</summary>
    public Tensor Inputs(IReadOnlyList<string> captions)
    {
        if (renderer is not null)
        {
            int s = renderer.Options.Size;
            var pixels = new byte[captions.Count * s * s];
            for (int i = 0; i < captions.Count; i++) renderer.Render(captions[i]).Pixels.CopyTo(pixels, i * s * s);
            using var scope = NewDisposeScope();
            return tensor(pixels, dtype: ScalarType.Byte).view(captions.Count, 1, s, s)
                .to_type(ScalarType.Float32).div_(255f).sub_(Mean).div_(Std).MoveToOuterDisposeScope();
        }
        int d = glove!.Dimension;
        var means = new float[captions.Count * d];
        for (int i = 0; i < captions.Count; i++)
        {
            var rows = Words(captions[i]).Select(glove.IndexOf).Where(r => r >= 0).ToArray();
            foreach (var r in rows)
            {
                var v = glove.Vector(r);
                for (int k = 0; k < d; k++) means[i * d + k] += v[k] / rows.Length;
            }
        }
        return tensor(means).view(captions.Count, d);
    }

    private static IEnumerable<string> Words(string caption) =>
        caption.ToLowerInvariant().Split([' ', ',', '.', ':', ';', '!', '?'], StringSplitOptions.RemoveEmptyEntries);
}
