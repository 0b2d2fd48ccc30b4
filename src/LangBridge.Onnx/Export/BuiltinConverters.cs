using LangBridge.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Export;

/// <summary>One converter per built-in TorchSharp module kind.</summary>
public static class BuiltinConverters
{
    public static void RegisterAll(OnnxConverterRegistry r)
    {
        r.Register<Sequential>(ExportSequential);
        r.Register<Linear>(ExportLinear);
        r.Register<Conv2d>(ExportConv2d);
        r.Register<ConvTranspose2d>(ExportConvTranspose2d);
        r.Register<BatchNorm2d>(ExportBatchNorm);
        r.Register<BatchNorm1d>(ExportBatchNorm);
        r.Register<GroupNorm>(ExportGroupNorm);
        r.Register<LayerNorm>(ExportLayerNorm);
        r.Register<ReLU>((c, m, x) => c.Builder.Relu(x));
        r.Register<LeakyReLU>((c, m, x) => c.Builder.LeakyRelu(x, (float)m.negative_slope));
        r.Register<SiLU>((c, m, x) => Silu(c.Builder, x));
        r.Register<GELU>((c, m, x) => Gelu(c.Builder, x, m.approximate == GELU.Approximate.tanh));
        r.Register<Tanh>((c, m, x) => c.Builder.Tanh(x));
        r.Register<Sigmoid>((c, m, x) => c.Builder.Sigmoid(x));
        r.Register<Dropout>((c, m, x) => c.Builder.Identity(x));
        r.Register<Dropout1d>((c, m, x) => c.Builder.Identity(x));
        r.Register<Dropout2d>((c, m, x) => c.Builder.Identity(x));
        r.Register<Identity>((c, m, x) => c.Builder.Identity(x));
        r.Register<Flatten>(ExportFlatten);
        r.Register<Upsample>(ExportUpsample);
    }

    private static IReadOnlyList<OnnxValue> ExportSequential(OnnxExportContext c, Sequential seq, IReadOnlyList<OnnxValue> inputs)
    {
        var values = inputs;
        foreach (var (name, child) in seq.named_children())
            values = c.Export(child, name, values);
        return values;
    }

    /// <summary>y = x·Wᵀ + b, as MatMul with the transposed weight (in, out) and Add; any leading dims.</summary>
    private static OnnxValue ExportLinear(OnnxExportContext c, Linear m, OnnxValue x)
    {
        using var scope = NewDisposeScope();
        var w = c.Weight(m.weight!.detach().t(), "weight");                  // (in, out)
        var y = c.Builder.MatMul(x, w);                                      // (..., out)
        return m.bias is null ? y : c.Builder.Add(y, c.Weight(m.bias, "bias"));
    }

    private static long[] ConvPads(OnnxExportContext c, Convolution m)
    {
        if (m.padding_mode != PaddingModes.Zeros)
            throw c.Unsupported(m, $"padding_mode {m.padding_mode} (only zero padding is exported).");
        int sp = m.kernel_size.Length;
        if (m.padding_type == Padding.Same)
        {
            var begin = new long[sp]; var end = new long[sp];
            for (int i = 0; i < sp; i++)
            {
                long total = m.dilation[i] * (m.kernel_size[i] - 1);
                begin[i] = total / 2; end[i] = total - begin[i];
            }
            return [.. begin, .. end];
        }
        if (m.padding_type == Padding.Valid || m.padding is null) return new long[2 * sp];
        var p = m.padding.Length == 1 ? Enumerable.Repeat(m.padding[0], sp).ToArray() : m.padding;
        return [.. p, .. p];
    }

    private static long[] PerDim(long[]? values, int sp, long fallback) =>
        values is null || values.Length == 0 ? Enumerable.Repeat(fallback, sp).ToArray()
        : values.Length == 1 ? Enumerable.Repeat(values[0], sp).ToArray() : values;

    private static OnnxValue ExportConv2d(OnnxExportContext c, Conv2d m, OnnxValue x)
    {
        var w = c.Weight(m.weight!, "weight");                              // (O, I/g, kh, kw)
        var b = m.bias is null ? null : c.Weight(m.bias, "bias");
        return c.Builder.Conv(x, w, b, PerDim(m.stride, 2, 1), ConvPads(c, m), PerDim(m.dilation, 2, 1), m.groups);
    }

    private static OnnxValue ExportConvTranspose2d(OnnxExportContext c, ConvTranspose2d m, OnnxValue x)
    {
        var w = c.Weight(m.weight!, "weight");                              // (I, O/g, kh, kw)
        var b = m.bias is null ? null : c.Weight(m.bias, "bias");
        return c.Builder.ConvTranspose(x, w, b, PerDim(m.stride, 2, 1), ConvPads(c, m), PerDim(m.dilation, 2, 1),
            PerDim(m.output_padding, 2, 0), m.groups);
    }

    private static OnnxValue ExportBatchNorm(OnnxExportContext c, BatchNorm m, OnnxValue x)
    {
        if (!m.track_running_stats || m.running_mean is null || m.running_var is null)
            throw c.Unsupported(m, "batch norm without running statistics normalises with batch statistics in eval mode; it cannot be exported.");
        long n = m.num_features;
        var scale = m.weight is null ? c.Constant("weight", Ones(n), n) : c.Weight(m.weight, "weight");
        var bias = m.bias is null ? c.Constant("bias", new float[n], n) : c.Weight(m.bias, "bias");
        var mean = c.Weight(m.running_mean, "running_mean");
        var variance = c.Weight(m.running_var, "running_var");
        return c.Builder.BatchNormalization(x, scale, bias, mean, variance, (float)m.eps);
    }

    /// <summary>
    /// GroupNorm as InstanceNormalization over (B, G, C/G·H·W) with unit scale, then the per-channel
    /// affine. Works at every opset (GroupNormalization only exists from opset 18 and changed in 21).
    /// </summary>
    private static OnnxValue ExportGroupNorm(OnnxExportContext c, GroupNorm m, OnnxValue x)
    {
        var b = c.Builder;
        long g = m.num_groups;
        long ch = x.Dim(1);
        var spatial = x.Shape.Skip(2).Select(d => d.Size).ToArray();
        var grouped = b.Reshape(x, 0, g, -1);                                              // (B, G, C/G·H·W)
        var norm = b.InstanceNormalization(grouped, c.Constant("group_scale", Ones(g), g), c.Constant("group_bias", new float[g], g), (float)m.eps);
        var y = b.Reshape(norm, [0, ch, .. spatial]);                                   // (B, C, H, W)
        if (!m.affine || m.weight is null) return y;
        var shape = new long[] { ch }.Concat(spatial.Select(_ => 1L)).ToArray();           // (C, 1, 1)
        using var scope = NewDisposeScope();
        y = b.Mul(y, c.Weight(m.weight.detach().reshape(shape), "weight"));
        return m.bias is null ? y : b.Add(y, c.Weight(m.bias.detach().reshape(shape), "bias"));
    }

    private static OnnxValue ExportLayerNorm(OnnxExportContext c, LayerNorm m, OnnxValue x)
    {
        var ns = m.normalized_shape;
        var scale = m.weight is null ? c.Constant("weight", Ones(Numel(ns)), ns) : c.Weight(m.weight, "weight");
        var bias = m.bias is null ? (m.weight is null ? c.Constant("bias", new float[Numel(ns)], ns) : null) : c.Weight(m.bias, "bias");
        return c.Builder.LayerNormalization(x, scale, bias, -ns.Length, (float)m.eps);
    }

    private static OnnxValue ExportFlatten(OnnxExportContext c, Flatten m, OnnxValue x)
    {
        int start = (int)(m.start_dim < 0 ? m.start_dim + x.Rank : m.start_dim);
        int end = (int)(m.end_dim < 0 ? m.end_dim + x.Rank : m.end_dim);
        if (end < start) return c.Builder.Identity(x);
        if (x.Shape.Skip(start).Take(end - start + 1).Any(d => !d.IsStatic))
            throw c.Unsupported(m, $"flattening dims {start}..{end} of {x} would merge the symbolic batch dimension.");
        var target = new List<long>();
        for (int i = 0; i < start; i++) target.Add(x.Shape[i].IsStatic ? x.Shape[i].Size : 0);
        target.Add(-1);
        for (int i = end + 1; i < x.Rank; i++) target.Add(x.Shape[i].Size);
        if (x.Shape.Take(start).Count(d => !d.IsStatic) > 0)
            for (int i = 0; i < start; i++) if (!x.Shape[i].IsStatic) target[i] = 0;
        return c.Builder.Reshape(x, [.. target]);
    }

    private static OnnxValue ExportUpsample(OnnxExportContext c, Upsample m, OnnxValue x)
    {
        if (m.mode != UpsampleMode.Nearest) throw c.Unsupported(m, $"upsample mode {m.mode} (only nearest is exported).");
        int sp = x.Rank - 2;
        var scales = new float[x.Rank];
        scales[0] = scales[1] = 1f;
        var sf = m.scale_factor.ToArray();
        var size = m.size.ToArray();
        for (int i = 0; i < sp; i++)
        {
            if (sf.Length > 0) scales[2 + i] = (float)(sf.Length == 1 ? sf[0] : sf[i]);
            else if (size.Length > 0) scales[2 + i] = (float)((double)(size.Length == 1 ? size[0] : size[i]) / x.Dim(2 + i));
            else throw c.Unsupported(m, "upsample without scale_factor or size.");
        }
        return c.Builder.ResizeNearest(x, scales);
    }

    /// <summary>SiLU: x·sigmoid(x).</summary>
    public static OnnxValue Silu(OnnxGraphBuilder b, OnnxValue x) => b.Mul(x, b.Sigmoid(x));

    /// <summary>
    /// GELU: the Gelu op from opset 20; before that the exact erf form 0.5·x·(1 + erf(x/√2)),
    /// or the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    /// </summary>
    public static OnnxValue Gelu(OnnxGraphBuilder b, OnnxValue x, bool tanhApproximation)
    {
        if (b.Opset >= 20) return b.Gelu(x, tanhApproximation ? "tanh" : "none");
        var half = b.AddScalar("gelu_half", 0.5f);
        var one = b.AddScalar("gelu_one", 1f);
        OnnxValue inner;
        if (!tanhApproximation)
        {
            inner = b.Erf(b.Div(x, b.AddScalar("gelu_sqrt2", MathF.Sqrt(2f))));
        }
        else
        {
            var cube = b.Mul(b.Mul(x, x), x);
            var poly = b.Add(x, b.Mul(cube, b.AddScalar("gelu_coeff", 0.044715f)));
            inner = b.Tanh(b.Mul(poly, b.AddScalar("gelu_sqrt_2_over_pi", MathF.Sqrt(2f / MathF.PI))));
        }
        return b.Mul(b.Mul(x, half), b.Add(inner, one));
    }

    private static float[] Ones(long n) => Enumerable.Repeat(1f, (int)n).ToArray();
    private static long Numel(long[] shape) => shape.Aggregate(1L, (p, d) => p * d);
}
