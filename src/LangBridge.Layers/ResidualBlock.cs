using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>
/// Pre-activation residual block: y = skip(x) + conv2(silu(norm2(conv1(silu(norm1(x)))))).
/// 3×3 convolutions with padding 1, GroupNorm, SiLU; skip is a 1×1 convolution when the channel
/// count changes, identity otherwise. Shapes: (B, Cin, H, W) → (B, Cout, H, W).
/// </summary>
public sealed class ResidualBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly GroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly GroupNorm norm2;
    private readonly Conv2d conv2;
    private readonly nn.Module<Tensor, Tensor> skip;
    private readonly SiLU act;

    public ResidualBlock(long inChannels, long outChannels, long groups = 8, string name = "ResidualBlock") : base(name)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Channels ({inChannels}, {outChannels}) must be divisible by groups ({groups}).");
        norm1 = Init.GroupNorm(groups, inChannels);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1);
        norm2 = Init.GroupNorm(groups, outChannels);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1);
        skip = inChannels == outChannels ? nn.Identity() : nn.Conv2d(inChannels, outChannels, 1);
        act = nn.SiLU();
        RegisterComponents();
    }

    public long InChannels => conv1.in_channels;
    public long OutChannels => conv2.out_channels;

    public override Tensor forward(Tensor x)                                           // (B, Cin, H, W)
    {
        using var scope = NewDisposeScope();
        var h = conv1.call(act.call(norm1.call(x)));                                   // (B, Cout, H, W)
        h = conv2.call(act.call(norm2.call(h)));                                       // (B, Cout, H, W)
        return (skip.call(x) + h).MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var x = inputs[0];                                                             // (B, Cin, H, W)
        var h = c.Export(conv1, nameof(conv1), c.Export(act, nameof(act), c.Export(norm1, nameof(norm1), x)));
        h = c.Export(conv2, nameof(conv2), c.Export(act, nameof(act), c.Export(norm2, nameof(norm2), h)));
        return [c.Builder.Add(c.Export(skip, nameof(skip), x), h)];                    // (B, Cout, H, W)
    }
}

public static partial class LayerFactory
{
    public static ResidualBlock ResidualBlock(long inChannels, long outChannels, long groups = 8) => new(inChannels, outChannels, groups);
}
