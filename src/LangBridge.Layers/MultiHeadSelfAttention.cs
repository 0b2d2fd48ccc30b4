using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>
/// Multi-head self-attention: softmax(q·kᵀ·scale)·v per head, heads concatenated, output projection.
/// (B, N, D) → (B, N, D) with D = heads × headDim, scale = 1/√headDim.
/// </summary>
public sealed class MultiHeadSelfAttention : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Linear q;
    private readonly Linear k;
    private readonly Linear v;
    private readonly Linear proj;

    public MultiHeadSelfAttention(long dim, long heads, string name = "MultiHeadSelfAttention") : base(name)
    {
        if (dim % heads != 0) throw new ArgumentException($"dim {dim} is not divisible by {heads} heads.");
        Dim = dim; Heads = heads; HeadDim = dim / heads;
        q = nn.Linear(dim, dim);
        k = nn.Linear(dim, dim);
        v = nn.Linear(dim, dim);
        proj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    public long Dim { get; }
    public long Heads { get; }
    public long HeadDim { get; }
    private float Scale => 1f / MathF.Sqrt(HeadDim);

    public override Tensor forward(Tensor x)                                           // (B, N, D)
    {
        using var scope = NewDisposeScope();
        long bsz = x.shape[0], n = x.shape[1];
        Tensor Heads_(Linear l) => l.call(x).reshape(bsz, n, Heads, HeadDim).transpose(1, 2);   // (B, H, N, dh)
        var qh = Heads_(q); var kh = Heads_(k); var vh = Heads_(v);
        var attn = (qh.matmul(kh.transpose(2, 3)) * Scale).softmax(-1);                 // (B, H, N, N)
        var o = attn.matmul(vh).transpose(1, 2).reshape(bsz, n, Dim);                  // (B, N, D)
        return proj.call(o).MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        var x = inputs[0];                                                             // (B, N, D)
        long n = x.Dim(1);
        OnnxValue Heads_(Linear l, string name) =>
            b.Transpose(b.Reshape(c.Export(l, name, x), 0, n, Heads, HeadDim), 0, 2, 1, 3);   // (B, H, N, dh)
        var qh = Heads_(q, nameof(q)); var kh = Heads_(k, nameof(k)); var vh = Heads_(v, nameof(v));
        var scores = b.Mul(b.MatMul(qh, b.Transpose(kh, 0, 1, 3, 2)), c.Scalar("scale", Scale));   // (B, H, N, N)
        var attn = b.Softmax(scores, -1);
        var o = b.Reshape(b.Transpose(b.MatMul(attn, vh), 0, 2, 1, 3), 0, n, Dim);    // (B, N, D)
        return [c.Export(proj, nameof(proj), o)];
    }
}

public static partial class LayerFactory
{
    public static MultiHeadSelfAttention MultiHeadSelfAttention(long dim, long heads) => new(dim, heads);
}
