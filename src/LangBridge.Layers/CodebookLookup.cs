using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>Token ids to code vectors (the decoder's entry): ids (B, N) int64 → (B, N, D) via Gather on E (K, D).</summary>
public sealed class CodebookLookup : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Tensor codebook;      // (K, D)

    public CodebookLookup(Tensor codebook, string name = "CodebookLookup") : base(name)
    {
        if (codebook.ndim != 2) throw new ArgumentException("Codebook must be (K, D).");
        using (no_grad()) this.codebook = codebook.detach().to_type(ScalarType.Float32).clone().contiguous();
        register_buffer(nameof(codebook), this.codebook);
    }

    public long EmbeddingDim => codebook.shape[1];

    public override Tensor forward(Tensor ids)                                         // (B, N)
    {
        using var scope = NewDisposeScope();
        return codebook.index_select(0, ids.flatten()).reshape([.. ids.shape, EmbeddingDim]).MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        if (inputs[0].ElementType != OnnxElementType.Int64) throw new InvalidOperationException($"Token ids must be int64, got {inputs[0]}.");
        return [c.Builder.Gather(c.Weight(codebook, nameof(codebook)), inputs[0], axis: 0)];   // (B, N, D)
    }
}

public static partial class LayerFactory
{
    public static CodebookLookup CodebookLookup(Tensor codebook) => new(codebook);
}
