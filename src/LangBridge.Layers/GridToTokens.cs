using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>Feature map to token sequence: (B, C, H, W) → (B, H·W, C).</summary>
public sealed class GridToTokens : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public GridToTokens(string name = "GridToTokens") : base(name) { }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.flatten(2).transpose(1, 2).contiguous().MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var x = inputs[0];                                                             // (B, C, H, W)
        var b = c.Builder;
        return [b.Transpose(b.Reshape(x, 0, x.Dim(1), x.Dim(2) * x.Dim(3)), 0, 2, 1)];  // (B, N, C)
    }
}

public static partial class LayerFactory
{
    public static GridToTokens GridToTokens() => new();
}
