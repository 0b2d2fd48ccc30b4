using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>Token sequence to feature map: (B, H·W, C) → (B, C, H, W).</summary>
public sealed class TokensToGrid : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public TokensToGrid(long height, long width, string name = "TokensToGrid") : base(name)
    {
        Height = height; Width = width;
    }

    public long Height { get; }
    public long Width { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.transpose(1, 2).reshape(x.shape[0], x.shape[2], Height, Width).MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var x = inputs[0];                                                             // (B, N, C)
        if (x.Dim(1) != Height * Width) throw new InvalidOperationException($"{x.Dim(1)} tokens do not fill a {Height}×{Width} grid.");
        var b = c.Builder;
        return [b.Reshape(b.Transpose(x, 0, 2, 1), 0, x.Dim(2), Height, Width)];      // (B, C, H, W)
    }
}

public static partial class LayerFactory
{
    public static TokensToGrid TokensToGrid(long height, long width) => new(height, width);
}
