using static TorchSharp.torch;

namespace LangBridge.Training;

/// <summary>
/// A random view of each image for invariance objectives: a shift of up to <paramref name="MaxShift"/>
/// pixels each way, a scale in [1 − <paramref name="MaxScale"/>, 1 + <paramref name="MaxScale"/>] and, with
/// <paramref name="Flip"/>, a left–right mirror half of the time. What moves in from outside is background.
/// </summary>
public sealed record ImageAugmentation(int MaxShift = 2, double MaxScale = 0.1, bool Flip = true)
{
    /// <summary>(B, C, H, W) normalised images → a random view of each; <paramref name="background"/> is the normalised value of an empty pixel.</summary>
    public Tensor Apply(Tensor images, float background, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long b = images.shape[0], h = images.shape[2], w = images.shape[3];
        var u = rand(b, 4, generator: generator);                                      // (B, 4) in [0, 1)
        var scale = 1 + (u.select(1, 0) * 2 - 1) * MaxScale;                          // (B)
        var mirror = Flip ? where(u.select(1, 1).lt(0.5), -1.0f, 1.0f) : ones(b);      // (B)
        // affine_grid works in [−1, 1] coordinates: a shift of s pixels is 2s / size.
        var tx = (u.select(1, 2) * 2 - 1) * (2.0 * MaxShift / w);
        var ty = (u.select(1, 3) * 2 - 1) * (2.0 * MaxShift / h);
        var zero = zeros(b);
        var theta = stack([stack([scale * mirror, zero, tx], 1), stack([zero, scale, ty], 1)], 1); // (B, 2, 3)
        var grid = nn.functional.affine_grid(theta, [b, images.shape[1], h, w], align_corners: false);
        // grid_sample pads with zeros, so sample (x − background) and add it back.
        var view = nn.functional.grid_sample(images - background, grid, align_corners: false) + background;
        return view.MoveToOuterDisposeScope();
    }
}
