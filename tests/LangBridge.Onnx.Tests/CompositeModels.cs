using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Tests;

/// <summary>Small LQAE-shaped test models: image (1, 28, 28) → 7×7 = 49 or 4×4 = 16 tokens of dim 16 over a 512-code codebook.</summary>
public sealed class CompositeModel
{
    public const long Dim = 16;
    public const long Codes = 512;

    public required string Name { get; init; }
    public required nn.Module<Tensor, Tensor> Encoder { get; init; }       // (B, 1, 28, 28) → (B, N, D)
    public required CodebookQuantizer Quantizer { get; init; }             // (B, N, D) → ids (B, N), codes (B, N, D)
    public required nn.Module<Tensor, Tensor> Decoder { get; init; }       // ids (B, N) → (B, 1, 28, 28) or embedding
    public required long Tokens { get; init; }
    public required OnnxInputSpec DecoderInput { get; init; }

    public OnnxExportResult ExportEncoder(int opset = 17) => OnnxExporter.Export(Encoder, OnnxInputSpec.Batched("image", 1, 28, 28),
        new() { Opset = opset, GraphName = Name + "_encoder", OutputNames = ["latents"] });

    public OnnxExportResult ExportQuantizer(int opset = 17) => OnnxExporter.Export(Quantizer, OnnxInputSpec.Batched("latents", Tokens, Dim),
        new() { Opset = opset, GraphName = Name + "_quantizer", OutputNames = ["token_ids", "codes"] });

    public OnnxExportResult ExportDecoder(int opset = 17) => OnnxExporter.Export(Decoder, DecoderInput,
        new() { Opset = opset, GraphName = Name + "_decoder", OutputNames = [DecoderInput.ElementType == OnnxElementType.Int64 ? "image" : "embedding"] });

    private static T Randomize<T>(T m) where T : nn.Module
    {
        using var _ = no_grad();
        foreach (var (name, buf) in m.named_buffers())
            if (name.EndsWith("running_mean")) buf.copy_(randn_like(buf) * 0.2f);
            else if (name.EndsWith("running_var")) buf.copy_(rand_like(buf) + 0.5f);
        return m;
    }

    /// <summary>Conv encoder → cosine quantizer → conv decoder from token ids.</summary>
    public static CompositeModel ConvLqae()
    {
        manual_seed(20);
        var quantizer = LayerFactory.CodebookQuantizer(randn(Codes, Dim));
        var encoder = nn.Sequential(
            ("stem", nn.Conv2d(1, 16, 3, stride: 2, padding: 1)),                 // (B, 16, 14, 14)
            ("res", LayerFactory.ResidualBlock(16, 16, groups: 4)),
            ("down", nn.Conv2d(16, 32, 3, stride: 2, padding: 1)),                // (B, 32, 7, 7)
            ("norm", Init.GroupNorm(4, 32)),
            ("act", nn.SiLU()),
            ("proj", nn.Conv2d(32, Dim, 1)),                                      // (B, D, 7, 7)
            ("tokens", LayerFactory.GridToTokens()));                             // (B, 49, D)
        var decoder = nn.Sequential(
            ("lookup", LayerFactory.CodebookLookup(quantizer.Codebook)),          // (B, 49, D)
            ("grid", LayerFactory.TokensToGrid(7, 7)),                            // (B, D, 7, 7)
            ("stem", nn.Conv2d(Dim, 32, 3, padding: 1)),
            ("res", LayerFactory.ResidualBlock(32, 32, groups: 4)),
            ("up", nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Nearest)),   // (B, 32, 14, 14)
            ("conv", nn.Conv2d(32, 16, 3, padding: 1)),
            ("bn", Randomize(nn.BatchNorm2d(16))),
            ("act", nn.LeakyReLU(0.1)),
            ("deconv", nn.ConvTranspose2d(16, 8, 4, stride: 2, padding: 1)),     // (B, 8, 28, 28)
            ("gelu", nn.GELU()),
            ("drop", nn.Dropout(0.1)),
            ("out", nn.Conv2d(8, 1, 3, padding: 1)),
            ("tanh", nn.Tanh()));                                                 // (B, 1, 28, 28)
        var m = new CompositeModel
        {
            Name = "conv_lqae", Encoder = encoder, Quantizer = quantizer, Decoder = decoder, Tokens = 49,
            DecoderInput = OnnxInputSpec.BatchedInt64("token_ids", 49),
        };
        m.Encoder.eval(); m.Quantizer.eval(); m.Decoder.eval();
        return m;
    }

    /// <summary>Small ViT (patch 7 → 16 tokens, 2 pre-norm blocks) → quantizer; "decoder" is a pooled, L2-normalised embedding head.</summary>
    public static CompositeModel SmallVit()
    {
        manual_seed(21);
        var quantizer = LayerFactory.CodebookQuantizer(randn(Codes, Dim));
        var trunk = nn.Sequential(
            ("patch", LayerFactory.PatchEmbedding(1, 32, 7, 28, 28)),            // (B, 16, 32)
            ("block0", LayerFactory.VitBlock(32, 4, mlpRatio: 2)),
            ("block1", LayerFactory.VitBlock(32, 4, mlpRatio: 2)),
            ("norm", nn.LayerNorm(32)));
        var encoder = nn.Sequential(("trunk", trunk), ("head", nn.Linear(32, Dim)));   // (B, 16, D)
        var embedder = nn.Sequential(("trunk", trunk), ("pool", LayerFactory.MeanPool()), ("fc", nn.Linear(32, 24)),
            ("l2", LayerFactory.L2Normalize()));                                 // (B, 24)
        var m = new CompositeModel
        {
            Name = "small_vit", Encoder = encoder, Quantizer = quantizer, Decoder = embedder, Tokens = 16,
            DecoderInput = OnnxInputSpec.Batched("image", 1, 28, 28),
        };
        m.Encoder.eval(); m.Quantizer.eval(); m.Decoder.eval();
        return m;
    }

    public static IEnumerable<CompositeModel> All() => [ConvLqae(), SmallVit()];
}
