using LangBridge.Data;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Runtime;

namespace LangBridge.Training.Lqae;

/// <summary>The three graphs of an LQAE bundle, as exported (kept for parity checks).</summary>
public sealed record LqaeExport(OnnxExportResult Encoder, OnnxExportResult Quantizer, OnnxExportResult Decoder, BundleManifest Manifest);

/// <summary>
/// Writes an LQAE bundle (docs/bundle-format.md): <c>encoder.onnx</c> (image → latents),
/// <c>quantizer.onnx</c> (latents → token ids + code vectors), <c>decoder.onnx</c> (token ids → image),
/// <c>vocab.txt</c> and a sealed <c>manifest.json</c> with every file's SHA-256.
/// </summary>
public static class LqaeBundleExporter
{
    public const string EncoderFile = "encoder.onnx", QuantizerFile = "quantizer.onnx", DecoderFile = "decoder.onnx", VocabularyFile = "vocab.txt";

    /// <summary>Exports <paramref name="model"/> into <paramref name="folder"/> (created or replaced file by file).</summary>
    public static LqaeExport Export(LqaeModel model, IReadOnlyList<string> vocabulary, string folder, int opset = OnnxOpset.Default,
        string producer = "langbridge")
    {
        var r = model.Recipe;
        if (vocabulary.Count != r.Codebook.Size)
            throw new ArgumentException($"the vocabulary has {vocabulary.Count} words, the model's codebook {r.Codebook.Size}");
        int c = r.Data.Channels, s = r.Data.ImageSize, n = r.TokensPerImage, d = r.Codebook.Dimension;
        var metadata = new Dictionary<string, string> { ["model"] = r.Name, ["kind"] = r.Kind, ["recipe_sha256"] = r.Sha256 };
        OnnxExportOptions Options(string graph, params string[] outputs) => new()
        {
            Opset = opset, GraphName = $"{r.Name}.{graph}", OutputNames = outputs, Metadata = metadata, ProducerVersion = producer,
            DocString = $"LangBridge {r.Kind} {graph} of '{r.Name}'",
        };

        var encoder = OnnxExporter.Export(model.Encoder, OnnxInputSpec.Batched("image", c, s, s), Options("encoder", "latents"));
        var quantizer = OnnxExporter.Export(model.Quantizer, OnnxInputSpec.Batched("latents", n, d), Options("quantizer", "token_ids", "codes"));
        var decoder = OnnxExporter.Export(model.TokenDecoder, OnnxInputSpec.BatchedInt64("token_ids", n), Options("decoder", "image"));

        Directory.CreateDirectory(folder);
        encoder.Save(Path.Combine(folder, EncoderFile));
        quantizer.Save(Path.Combine(folder, QuantizerFile));
        decoder.Save(Path.Combine(folder, DecoderFile));
        AtomicFile.WriteAllText(Path.Combine(folder, VocabularyFile), string.Concat(vocabulary.Select(w => w + "\n")));

        // Bundle format v2: every tensor says what it holds, so ImageTokenizer finds it by meaning.
        TensorSpec Spec(string name, string dtype, string meaning, params long[] dims) =>
            new() { Name = name, Dtype = dtype, Meaning = meaning, Shape = [TensorDimension.Batch, .. dims.Select(TensorDimension.Fixed)] };
        var manifest = new BundleManifest
        {
            Name = r.Name,
            Kind = r.Kind,
            Producer = producer,
            Opset = opset,
            IrVersion = (int)encoder.Model.IrVersion,
            RecipeSha256 = r.Sha256,
            Image = new ImageSpec
            {
                Channels = c, Height = s, Width = s,
                Mean = Enumerable.Repeat(r.Data.Mean, c).ToArray(),
                Std = Enumerable.Repeat(r.Data.Std, c).ToArray(),
            },
            Tokens = new TokenSpec
            {
                PerImage = n, Grid = [r.GridSize, r.GridSize], Levels = [.. r.Levels],
                Vocabulary = VocabularyFile, VocabularySize = vocabulary.Count, EmbeddingDim = d,
            },
            Graphs = new Dictionary<string, GraphSpec>
            {
                ["encoder"] = new()
                {
                    File = EncoderFile, Inputs = [Spec("image", TensorDtype.Float32, TensorMeaning.Image, c, s, s)],
                    Outputs = [Spec("latents", TensorDtype.Float32, TensorMeaning.Latents, n, d)],
                },
                ["quantizer"] = new()
                {
                    File = QuantizerFile, Inputs = [Spec("latents", TensorDtype.Float32, TensorMeaning.Latents, n, d)],
                    Outputs = [Spec("token_ids", TensorDtype.Int64, TensorMeaning.TokenIds, n), Spec("codes", TensorDtype.Float32, TensorMeaning.Codes, n, d)],
                },
                ["decoder"] = new()
                {
                    File = DecoderFile, Inputs = [Spec("token_ids", TensorDtype.Int64, TensorMeaning.TokenIds, n)],
                    Outputs = [Spec("image", TensorDtype.Float32, TensorMeaning.Image, c, s, s)],
                },
            },
        };
        var sealedManifest = BundleWriter.Seal(folder, manifest);
        return new LqaeExport(encoder, quantizer, decoder, sealedManifest);
    }
}
