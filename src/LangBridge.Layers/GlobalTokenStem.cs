using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>
/// Decoder stem for <see cref="GlobalTokenHead"/> latents: code vectors (B, K + h·w, D) → features
/// (B, C, h, w) = conv3×3(grid of the h·w fine codes) + a feature map predicted from the K coarse codes.
/// The coarse path is what lets the decoder fill in masked positions from the image's summary.
/// </summary>
public sealed class GlobalTokenStem : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d fine;
    private readonly Linear coarse;

    public GlobalTokenStem(long dim, long channels, long globalTokens, long height, long width, string name = "GlobalTokenStem") : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(globalTokens, 1);
        (GlobalTokens, Dim, Channels, Height, Width) = (globalTokens, dim, channels, height, width);
        fine = nn.Conv2d(dim, channels, 3, padding: 1);
        coarse = nn.Linear(globalTokens * dim, channels * height * width);
        RegisterComponents();
    }

    public long GlobalTokens { get; }
    public long Dim { get; }
    public long Channels { get; }
    public long Height { get; }
    public long Width { get; }

    public override Tensor forward(Tensor x)                                           // (B, K + h·w, D)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0];
        var top = x.narrow(1, 0, GlobalTokens).reshape(b, GlobalTokens * Dim);         // (B, K·D)
        var grid = x.narrow(1, GlobalTokens, Height * Width).transpose(1, 2).reshape(b, Dim, Height, Width); // (B, D, h, w)
        var map = coarse.call(top).view(b, Channels, Height, Width);                   // (B, C, h, w)
        return (fine.call(grid) + map).MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        var x = inputs[0];                                                             // (B, K + h·w, D)
        if (x.Dim(1) != GlobalTokens + Height * Width)
            throw new InvalidOperationException($"{x.Dim(1)} tokens are not {GlobalTokens} coarse + {Height}×{Width} fine.");
        var top = b.Reshape(b.Slice(x, 1, 0, GlobalTokens), 0, GlobalTokens * Dim);    // (B, K·D)
        var rest = b.Slice(x, 1, GlobalTokens, GlobalTokens + Height * Width);          // (B, h·w, D)
        var grid = b.Reshape(b.Transpose(rest, 0, 2, 1), 0, Dim, Height, Width);       // (B, D, h, w)
        var map = b.Reshape(c.Export(coarse, nameof(coarse), top), 0, Channels, Height, Width); // (B, C, h, w)
        return [b.Add(c.Export(fine, nameof(fine), grid), map)];
    }
}

public static partial class LayerFactory
{
    public static GlobalTokenStem GlobalTokenStem(long dim, long channels, long globalTokens, long height, long width) =>
        new(dim, channels, globalTokens, height, width);
}
