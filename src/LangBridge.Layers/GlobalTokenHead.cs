using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>
/// Token head with a coarse level on top (the first two levels of a semantic pyramid): features
/// (B, N, C) → latents (B, K + N, D), where the first K come from the mean feature of the whole image
/// and the N others are the per-position projections. Coarse tokens summarise the image, so similar
/// images tend to share them.
/// </summary>
public sealed class GlobalTokenHead : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Linear fine;
    private readonly Linear coarse;

    public GlobalTokenHead(long channels, long dim, long globalTokens, string name = "GlobalTokenHead") : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(globalTokens, 1);
        GlobalTokens = globalTokens;
        Dim = dim;
        fine = nn.Linear(channels, dim);
        coarse = nn.Linear(channels, globalTokens * dim);
        RegisterComponents();
    }

    /// <summary>K, the coarse tokens put first.</summary>
    public long GlobalTokens { get; }
    public long Dim { get; }

    public override Tensor forward(Tensor x)                                           // (B, N, C)
    {
        using var scope = NewDisposeScope();
        var top = coarse.call(x.mean([1])).view(x.shape[0], GlobalTokens, Dim);       // (B, K, D)
        return cat([top, fine.call(x)], 1).MoveToOuterDisposeScope();                  // (B, K + N, D)
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        var x = inputs[0];                                                             // (B, N, C)
        var pooled = b.ReduceMean(x, [1], keepDims: false);                            // (B, C)
        var top = b.Reshape(c.Export(coarse, nameof(coarse), pooled), 0, GlobalTokens, Dim); // (B, K, D)
        return [b.Concat(1, top, c.Export(fine, nameof(fine), x))];                    // (B, K + N, D)
    }
}

public static partial class LayerFactory
{
    public static GlobalTokenHead GlobalTokenHead(long channels, long dim, long globalTokens) => new(channels, dim, globalTokens);
}
