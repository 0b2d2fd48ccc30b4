using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>
/// ViT patch embedding with a learned positional embedding:
/// (B, C, H, W) → conv p×p stride p → (B, D, H/p, W/p) → (B, N, D) + pos (1, N, D).
/// </summary>
public sealed class PatchEmbedding : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d proj;
    private readonly Parameter pos_embed;

    public PatchEmbedding(long inChannels, long dim, long patchSize, long imageHeight, long imageWidth, string name = "PatchEmbedding") : base(name)
    {
        if (imageHeight % patchSize != 0 || imageWidth % patchSize != 0)
            throw new ArgumentException($"Image {imageHeight}×{imageWidth} is not divisible into {patchSize}×{patchSize} patches.");
        GridHeight = imageHeight / patchSize;
        GridWidth = imageWidth / patchSize;
        Dim = dim;
        proj = nn.Conv2d(inChannels, dim, patchSize, stride: patchSize);
        pos_embed = new Parameter(randn(1, GridHeight * GridWidth, dim) * 0.02f);
        RegisterComponents();
    }

    public long GridHeight { get; }
    public long GridWidth { get; }
    public long Tokens => GridHeight * GridWidth;
    public long Dim { get; }

    public override Tensor forward(Tensor x)                                           // (B, C, H, W)
    {
        using var scope = NewDisposeScope();
        var h = proj.call(x);                                                          // (B, D, h, w)
        h = h.flatten(2).transpose(1, 2);                                              // (B, N, D)
        return (h + pos_embed).MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        var h = c.Export(proj, nameof(proj), inputs[0]);                               // (B, D, h, w)
        h = b.Transpose(b.Reshape(h, 0, Dim, Tokens), 0, 2, 1);                        // (B, N, D)
        return [b.Add(h, c.Weight(pos_embed, nameof(pos_embed)))];                     // (B, N, D)
    }
}

public static partial class LayerFactory
{
    public static PatchEmbedding PatchEmbedding(long inChannels, long dim, long patchSize, long imageHeight, long imageWidth) =>
        new(inChannels, dim, patchSize, imageHeight, imageWidth);
}
