using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Training.Limber;

/// <summary>
/// LiMBeR's one trained layer: a pooled image feature (B, F), standardised with the training features' mean and
/// standard deviation (fixed buffers), → Linear → k soft tokens (B, k, D) in the LM's input-embedding space.
/// </summary>
public sealed class LimberBridge : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Linear projection;
    private readonly Tensor feature_mean, feature_std;

    public LimberBridge(int features, int tokens, int width, string name = "LimberBridge") : base(name)
    {
        Features = features; Tokens = tokens; Width = width;
        projection = nn.Linear(features, (long)tokens * width);
        feature_mean = zeros(features);
        feature_std = ones(features);
        RegisterComponents();
    }

    public int Features { get; }
    public int Tokens { get; }
    public int Width { get; }

    /// <summary>Sets the standardisation from the training features (N, F).</summary>
    public void Standardise(Tensor features)
    {
        using var noGrad = no_grad();
        feature_mean.copy_(features.mean([0]));
        feature_std.copy_(features.std([0]).clamp_min(1e-6f));
    }

    public override Tensor forward(Tensor features)                                       // (B, F)
    {
        using var scope = NewDisposeScope();
        var z = features.sub(feature_mean).div(feature_std);
        return projection.call(z).view(features.shape[0], Tokens, Width).MoveToOuterDisposeScope();   // (B, k, D)
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        var z = b.Div(b.Sub(inputs[0], c.Weight(feature_mean, "feature_mean")), c.Weight(feature_std, "feature_std"));
        return [b.Reshape(c.Export(projection, nameof(projection), z), 0, Tokens, Width)];
    }
}
