using LangBridge.Data;
using LangBridge.Onnx.Parity;
using LangBridge.Training.Clippo;
using LangBridge.Training.Pipeline;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LangBridge.Training.Golden;

/// <summary>
/// Golden outputs of a CLIPPO reference model: its exported image and text encoders run by ONNX Runtime (CPU,
/// full optimisation) on the committed fixture images (shared with <see cref="LqaeGolden"/>) and on
/// <see cref="FixtureTexts"/> rendered with the model's font.
/// </summary>
public static class ClippoGolden
{
    /// <summary>Texts whose embeddings are golden: class prompts, a caption with attributes, accents, the empty string, an over-long line.</summary>
    public static readonly IReadOnlyList<string> FixtureTexts =
    [
        "a photo of a t-shirt", "a photo of a trouser", "a photo of a pullover", "a photo of a dress", "a photo of a coat",
        "a photo of a sandal", "a photo of a shirt", "a photo of a sneaker", "a photo of a bag", "a photo of an ankle boot",
        "A DARK, LARGE COAT", "crème brûlée", "", "a caption far too long for the small canvas, so its end is cut off",
    ];

    /// <summary>Embedding tolerance when comparing with committed outputs.</summary>
    public const double Atol = 1e-4, Rtol = 1e-3;

    public static GoldenCase Compute(ClippoKindModel model, string goldenDir, string checkpointPath)
    {
        var fixturesPath = Path.Combine(goldenDir, LqaeGolden.FixtureImages);
        var fixtures = LqaeGolden.LoadFixtures(goldenDir);
        var scratch = Directory.CreateTempSubdirectory("langbridge-golden-").FullName;
        try
        {
            var export = BundleExporter.Export(model, Path.Combine(scratch, "bundle"));
            using var scope = NewDisposeScope();
            OrtRunner Runner(string role) => new(export.Graph(role).ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, role);
            using var imageEncoder = Runner(ClippoKindModel.ImageRole);
            using var textEncoder = Runner(ClippoKindModel.TextRole);
            var images = imageEncoder.Run([ClippoImages.Normalised(fixtures)])[0];                  // (N, E)
            var texts = textEncoder.Run([model.Text.Inputs(FixtureTexts)])[0];                      // (T, E)
            var outputs = new GoldenOutputs(
                [new GoldenTensor("image_embeddings", images.Shape, Float32: images.Floats), new GoldenTensor("text_embeddings", texts.Shape, Float32: texts.Floats)],
                new Dictionary<string, string>
                {
                    ["model"] = model.Recipe.Name,
                    ["checkpoint_sha256"] = LqaeGolden.Sha256(checkpointPath),
                    ["fixtures_sha256"] = LqaeGolden.Sha256(fixturesPath),
                    ["font_sha256"] = model.InputHashes["font"],
                    ["texts"] = string.Join("\n", FixtureTexts),
                    ["opset"] = export.Manifest.Opset.ToString(),
                });
            return new GoldenCase($"{model.Recipe.Name}.golden.safetensors", outputs, Atol, Rtol, ["checkpoint_sha256", "fixtures_sha256", "font_sha256", "texts", "opset"]);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
