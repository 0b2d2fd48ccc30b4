using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>L2 normalisation along one axis, as torch's F.normalize: x / max(‖x‖₂, eps). Shape unchanged.</summary>
public sealed class L2Normalize : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public L2Normalize(long dim = -1, double eps = 1e-12, string name = "L2Normalize") : base(name)
    {
        Dim = dim; Eps = eps;
    }

    public long Dim { get; }
    public double Eps { get; }

    public override Tensor forward(Tensor x) => Apply(x, Dim, Eps);

    /// <summary>x / max(‖x‖₂, eps) along <paramref name="dim"/>.</summary>
    public static Tensor Apply(Tensor x, long dim, double eps)
    {
        using var scope = NewDisposeScope();
        var norm = x.norm((int)dim, keepdim: true).clamp_min(eps);                      // (..., 1, ...)
        return (x / norm).MoveToOuterDisposeScope();
    }

    /// <summary>Emits ReduceL2 → Max(eps) → Div.</summary>
    public static OnnxValue Emit(OnnxExportContext c, OnnxValue x, long dim, double eps)
    {
        var b = c.Builder;
        var norm = b.Max(b.ReduceL2(x, [dim], keepDims: true), c.Scalar("eps", (float)eps));
        return b.Div(x, norm);
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs) => [Emit(c, inputs[0], Dim, Eps)];
}

public static partial class LayerFactory
{
    public static L2Normalize L2Normalize(long dim = -1, double eps = 1e-12) => new(dim, eps);
}
