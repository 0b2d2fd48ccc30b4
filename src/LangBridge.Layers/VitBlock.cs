using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>
/// Pre-norm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)) with
/// mlp = Linear(D, r·D) → GELU (exact) → Linear(r·D, D). (B, N, D) → (B, N, D).
/// </summary>
public sealed class VitBlock : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly LayerNorm ln1;
    private readonly MultiHeadSelfAttention attn;
    private readonly LayerNorm ln2;
    private readonly Sequential mlp;

    public VitBlock(long dim, long heads, long mlpRatio = 4, double dropout = 0.0, string name = "VitBlock") : base(name)
    {
        ln1 = nn.LayerNorm(dim, eps: 1e-6);
        attn = new MultiHeadSelfAttention(dim, heads);
        ln2 = nn.LayerNorm(dim, eps: 1e-6);
        mlp = nn.Sequential(
            ("fc1", nn.Linear(dim, dim * mlpRatio)),
            ("act", nn.GELU()),
            ("drop", nn.Dropout(dropout)),
            ("fc2", nn.Linear(dim * mlpRatio, dim)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)                                           // (B, N, D)
    {
        using var scope = NewDisposeScope();
        var h = x + attn.call(ln1.call(x));
        h = h + mlp.call(ln2.call(h));
        return h.MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        var x = inputs[0];                                                             // (B, N, D)
        var h = b.Add(x, c.Export(attn, nameof(attn), c.Export(ln1, nameof(ln1), x)));
        h = b.Add(h, c.Export(mlp, nameof(mlp), c.Export(ln2, nameof(ln2), h)));
        return [h];
    }
}

public static partial class LayerFactory
{
    public static VitBlock VitBlock(long dim, long heads, long mlpRatio = 4, double dropout = 0.0) => new(dim, heads, mlpRatio, dropout);
}
