using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Tests;

/// <summary>One exportable test module: how to build it (seeded), its input and export settings.</summary>
public sealed record ZooCase(
    string Name,
    Func<nn.Module> Create,
    long[] InputShape,                       // without the batch dim
    int Opset = 17,
    long IdRange = 0,                        // > 0: int64 ids input in [0, IdRange)
    string[]? OutputNames = null,
    float LargeMagnitude = 100f)
{
    public override string ToString() => Name;

    public OnnxInputSpec InputSpec => IdRange > 0 ? OnnxInputSpec.BatchedInt64("input", InputShape) : OnnxInputSpec.Batched("input", InputShape);

    public nn.Module Build()
    {
        torch.manual_seed(Name.Aggregate(17, (h, ch) => unchecked(h * 31 + ch)) & 0x7fffffff);
        var m = Create();
        m.eval();
        return m;
    }

    public OnnxExportResult Export(nn.Module module) =>
        OnnxExporter.Export(module, InputSpec, new OnnxExportOptions
        {
            Opset = Opset,
            GraphName = Name,
            OutputNames = OutputNames,
            Metadata = new Dictionary<string, string> { ["kind"] = "test", ["case"] = Name },
        });

    /// <summary>Random input of the given batch (normal floats, or uniform ids).</summary>
    public Tensor RandomInput(int batch, Generator g) => IdRange > 0
        ? randint(0, IdRange, [batch, .. InputShape], dtype: ScalarType.Int64, generator: g)
        : randn([batch, .. InputShape], generator: g);
}

/// <summary>Every module kind the exporter covers, with small shapes.</summary>
public static class ModelZoo
{
    /// <summary>Randomises affine parameters and running statistics so norms are not identity maps.</summary>
    private static T Randomize<T>(T m) where T : nn.Module
    {
        using var _ = no_grad();
        foreach (var (name, p) in m.named_parameters())
            if (name.EndsWith("weight") && p.ndim == 1) p.copy_(rand_like(p) + 0.5f);
            else if (name.EndsWith("bias") && p.ndim == 1) p.copy_(randn_like(p) * 0.1f);
        foreach (var (name, buf) in m.named_buffers())
            if (name.EndsWith("running_mean")) buf.copy_(randn_like(buf) * 0.5f);
            else if (name.EndsWith("running_var")) buf.copy_(rand_like(buf) + 0.5f);
        return m;
    }

    public static Tensor Codebook(long k, long d) => randn(k, d);

    public static IReadOnlyList<ZooCase> All { get; } =
    [
        new("linear", () => nn.Linear(12, 8), [5, 12]),
        new("linear_2d_nobias", () => nn.Linear(12, 8, hasBias: false), [12]),
        new("conv2d_stride_padding", () => nn.Conv2d(3, 8, 3, stride: 2, padding: 1), [3, 9, 9]),
        new("conv2d_groups_dilation", () => nn.Conv2d(8, 8, 3, padding: 2, dilation: 2, groups: 4), [8, 7, 7]),
        new("conv2d_same", () => nn.Conv2d(4, 6, 4, padding: Padding.Same), [4, 6, 6]),
        new("conv_transpose2d", () => nn.ConvTranspose2d(8, 4, 4, stride: 2, padding: 1), [8, 5, 5]),
        new("conv_transpose2d_groups_outpad", () => nn.ConvTranspose2d(6, 4, 3, stride: 2, padding: 1, output_padding: 1, groups: 2), [6, 4, 4]),
        new("batchnorm2d", () => Randomize(nn.BatchNorm2d(6)), [6, 5, 5]),
        new("groupnorm", () => Randomize(nn.GroupNorm(2, 6)), [6, 5, 5]),
        new("layernorm", () => Randomize(nn.LayerNorm(16)), [4, 16]),
        new("layernorm_2d", () => Randomize(nn.LayerNorm([4, 16])), [4, 16]),
        new("relu", () => nn.ReLU(), [3, 4, 5]),
        new("leaky_relu", () => nn.LeakyReLU(0.2), [3, 4, 5]),
        new("silu", () => nn.SiLU(), [3, 4, 5]),
        new("gelu_erf_opset17", () => nn.GELU(), [3, 4, 5]),
        new("gelu_tanh_opset17", () => nn.GELU(GELU.Approximate.tanh), [3, 4, 5]),
        new("gelu_opset20", () => nn.GELU(), [3, 4, 5], Opset: 20),
        new("gelu_tanh_opset20", () => nn.GELU(GELU.Approximate.tanh), [3, 4, 5], Opset: 20),
        new("tanh", () => nn.Tanh(), [3, 4, 5]),
        new("sigmoid", () => nn.Sigmoid(), [3, 4, 5]),
        new("dropout", () => nn.Dropout(0.5), [3, 4, 5]),
        new("flatten", () => nn.Flatten(), [3, 4, 5]),
        new("flatten_partial", () => nn.Flatten(2, 3), [2, 3, 4, 5]),
        new("upsample_nearest", () => nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Nearest), [3, 4, 5]),
        new("sequential", () => nn.Sequential(
            ("conv", nn.Conv2d(3, 8, 3, padding: 1)), ("bn", Randomize(nn.BatchNorm2d(8))), ("act", nn.ReLU()),
            ("flat", nn.Flatten()), ("fc", nn.Linear(8 * 6 * 6, 10))), [3, 6, 6]),
        new("residual_block", () => Randomize(LayerFactory.ResidualBlock(8, 8, groups: 4)), [8, 6, 6]),
        new("residual_block_proj", () => Randomize(LayerFactory.ResidualBlock(4, 8, groups: 2)), [4, 6, 6]),
        new("patch_embedding", () => LayerFactory.PatchEmbedding(3, 16, 4, 8, 12), [3, 8, 12]),
        new("self_attention", () => LayerFactory.MultiHeadSelfAttention(16, 4), [6, 16]),
        new("vit_block", () => Randomize(LayerFactory.VitBlock(16, 2, mlpRatio: 2)), [6, 16]),
        new("mean_pool", () => LayerFactory.MeanPool(), [6, 16]),
        new("l2_normalize", () => LayerFactory.L2Normalize(), [6, 16]),
        new("grid_to_tokens", () => LayerFactory.GridToTokens(), [8, 3, 4]),
        new("tokens_to_grid", () => LayerFactory.TokensToGrid(3, 4), [12, 8]),
        new("quantizer_cosine", () => LayerFactory.CodebookQuantizer(Codebook(64, 16)), [6, 16], OutputNames: ["token_ids", "codes"]),
        new("quantizer_l2", () => LayerFactory.CodebookQuantizer(Codebook(64, 16), normalizeInputs: false), [6, 16], OutputNames: ["token_ids", "codes"]),
        // A coarse level: the first 2 positions choose among the first 10 codes only (Slice + Concat).
        new("quantizer_cosine_coarse", () => LayerFactory.CodebookQuantizer(Codebook(64, 16), coarseTokens: 2, coarseVocabulary: 10), [6, 16], OutputNames: ["token_ids", "codes"]),
        new("quantizer_l2_coarse", () => LayerFactory.CodebookQuantizer(Codebook(64, 16), normalizeInputs: false, coarseTokens: 2, coarseVocabulary: 10), [6, 16], OutputNames: ["token_ids", "codes"]),
        // A positional vocabulary: position p of 6 takes codes p, p + 6, … (10 each of 64; 4 unused).
        new("quantizer_cosine_positional", () => LayerFactory.CodebookQuantizer(Codebook(64, 16), positions: 6), [6, 16], OutputNames: ["token_ids", "codes"]),
        new("quantizer_l2_positional", () => LayerFactory.CodebookQuantizer(Codebook(64, 16), normalizeInputs: false, positions: 6), [6, 16], OutputNames: ["token_ids", "codes"]),
        new("global_token_head", () => LayerFactory.GlobalTokenHead(16, 8, 2), [6, 16]),
        new("global_token_stem", () => LayerFactory.GlobalTokenStem(8, 16, 2, 3, 4), [14, 8]),
        new("codebook_lookup", () => LayerFactory.CodebookLookup(Codebook(64, 16)), [6], IdRange: 64),
        // Opset-dependent lowering (Reduce* axes as input from 18), checked by ONNX Runtime.
        new("mean_pool_opset18", () => LayerFactory.MeanPool(), [6, 16], Opset: 18),
        new("l2_normalize_opset21", () => LayerFactory.L2Normalize(), [6, 16], Opset: 21),
        new("quantizer_cosine_opset21", () => LayerFactory.CodebookQuantizer(Codebook(64, 16)), [6, 16], Opset: 21, OutputNames: ["token_ids", "codes"]),
        new("vit_block_opset19", () => Randomize(LayerFactory.VitBlock(16, 2, mlpRatio: 2)), [6, 16], Opset: 19),
    ];

    public static IEnumerable<object[]> Cases => All.Select(c => new object[] { c.Name });

    public static ZooCase Get(string name) => All.Single(c => c.Name == name);
}
