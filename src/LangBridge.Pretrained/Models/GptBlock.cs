using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Models;

/// <summary>
/// One GPT-2 block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). Attention is causal over the cached keys and
/// values and the new positions. Parameter names are GPT-2's (<c>attn.c_attn</c>, <c>mlp.c_fc</c>, …), so
/// Hugging Face tensors map one to one (their Conv1D weights transposed).
/// </summary>
public sealed class GptBlock : nn.Module, IOnnxExportable
{
    /// <summary>Added to the scores of keys a query must not see (future positions, padding): finite, so a fully masked row stays defined.</summary>
    public const float MaskValue = -1e9f;

    private readonly LayerNorm ln_1, ln_2;
    private readonly Linear c_attn, attn_c_proj, c_fc, mlp_c_proj;
    private readonly Dropout dropout;
    private readonly GptConfig config;

    public GptBlock(GptConfig config, string name = "GptBlock") : base(name)
    {
        this.config = config;
        ln_1 = nn.LayerNorm(config.Width, config.LayerNormEps);
        c_attn = nn.Linear(config.Width, 3L * config.Width);
        attn_c_proj = nn.Linear(config.Width, config.Width);
        ln_2 = nn.LayerNorm(config.Width, config.LayerNormEps);
        c_fc = nn.Linear(config.Width, config.InnerWidth);
        mlp_c_proj = nn.Linear(config.InnerWidth, config.Width);
        dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>
    /// x (B, S, D) at positions P..P+S−1 → (output (B, S, D), present keys and values (B, H, P+S, dh)).
    /// <paramref name="additiveMask"/> (B or 1, 1, S, P+S) holds 0 where a query may attend and <see cref="MaskValue"/> where not.
    /// </summary>
    public (Tensor Output, Tensor Keys, Tensor Values) Forward(Tensor x, Tensor additiveMask, Tensor? pastKeys, Tensor? pastValues)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], s = x.shape[1];
        int h = config.Heads, dh = config.HeadSize, d = config.Width;
        var qkv = c_attn.call(ln_1.call(x)).view(b, s, 3, h, dh).permute(2, 0, 3, 1, 4);    // (3, B, H, S, dh)
        Tensor q = qkv[0], k = qkv[1], v = qkv[2];
        if (pastKeys is not null) k = cat([pastKeys, k], 2);                                // (B, H, P+S, dh)
        if (pastValues is not null) v = cat([pastValues, v], 2);
        var scores = q.matmul(k.transpose(2, 3)).mul(1.0 / Math.Sqrt(dh)).add(additiveMask); // (B, H, S, P+S)
        var attended = scores.softmax(-1).matmul(v).transpose(1, 2).reshape(b, s, d);      // (B, S, D)
        var y = x + dropout.call(attn_c_proj.call(attended));
        y = y + dropout.call(mlp_c_proj.call(nn.functional.gelu(c_fc.call(ln_2.call(y)), GELU.Approximate.tanh)));
        return (y.MoveToOuterDisposeScope(), k.contiguous().MoveToOuterDisposeScope(), v.contiguous().MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Inputs: x (B, S, D), the additive mask (B or 1, 1, S, T), past keys and values (B, H, P, dh) with T = P + S.
    /// Outputs: (B, S, D) and the present keys and values (B, H, T, dh), as <see cref="Forward"/>.
    /// </summary>
    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        if (inputs.Count != 4) throw new ArgumentException($"GptBlock takes x, the mask and past keys and values; {inputs.Count} inputs were given.");
        var b = c.Builder;
        var (x, mask, pastK, pastV) = (inputs[0], inputs[1], inputs[2], inputs[3]);
        int h = config.Heads, dh = config.HeadSize, d = config.Width;
        var qkv = c.Export(c_attn, nameof(c_attn), c.Export(ln_1, nameof(ln_1), x));         // (B, S, 3D)
        OnnxValue Heads(int part) => b.Transpose(b.Reshape(b.Slice(qkv, 2, part * d, (part + 1) * d), 0, 0, h, dh), 0, 2, 1, 3);   // (B, H, S, dh)
        var total = mask.Shape[^1];
        var k = b.ConcatSymbolic(2, total, pastK, Heads(1));                                   // (B, H, T, dh)
        var v = b.ConcatSymbolic(2, total, pastV, Heads(2));
        var scores = b.Add(b.Mul(b.MatMul(Heads(0), b.Transpose(k, 0, 1, 3, 2)), c.Scalar("scale", (float)(1.0 / Math.Sqrt(dh)))), mask);   // (B, H, S, T)
        var attended = b.Reshape(b.Transpose(b.MatMul(b.Softmax(scores, -1), v), 0, 2, 1, 3), 0, 0, d);                                 // (B, S, D)
        var y = b.Add(x, c.Export(attn_c_proj, nameof(attn_c_proj), attended));
        var hidden = BuiltinConverters.Gelu(b, c.Export(c_fc, nameof(c_fc), c.Export(ln_2, nameof(ln_2), y)), tanhApproximation: true);
        y = b.Add(y, c.Export(mlp_c_proj, nameof(mlp_c_proj), hidden));
        return [y, k, v];
    }
}
