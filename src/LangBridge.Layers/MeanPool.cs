using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>Mean over one axis (default the token axis): (B, N, D) → (B, D).</summary>
public sealed class MeanPool : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public MeanPool(long dim = 1, string name = "MeanPool") : base(name)
    {
        if (dim == 0) throw new ArgumentException("Pooling over the batch axis is not supported.");
        Dim = dim;
    }

    public long Dim { get; }

    public override Tensor forward(Tensor x) => x.mean([Dim]);

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs) =>
        [c.Builder.ReduceMean(inputs[0], [Dim], keepDims: false)];
}

public static partial class LayerFactory
{
    public static MeanPool MeanPool(long dim = 1) => new(dim);
}
