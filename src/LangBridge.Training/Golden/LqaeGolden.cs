using System.Security.Cryptography;
using LangBridge.Data;
using LangBridge.Onnx.Parity;
using LangBridge.Training.Lqae;
using LangBridge.Training.Pipeline;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LangBridge.Training.Golden;

/// <summary>
/// Golden outputs of an LQAE reference model: its exported graphs run by ONNX Runtime (CPU, full
/// optimisation) on the committed fixture images (<see cref="FixtureImages"/> in the golden folder).
/// </summary>
public static class LqaeGolden
{
    public const string FixtureImages = "fixtures-images-idx3-ubyte", FixtureLabels = "fixtures-labels-idx1-ubyte";
    /// <summary>Fixture images taken from the test split when the golden folder has none yet.</summary>
    public const int FixtureCount = 32;
    /// <summary>Reconstruction tolerance when comparing with committed outputs (token ids must match exactly).</summary>
    public const double Atol = 1e-4, Rtol = 1e-3;
    /// <summary>Fixtures whose BERT hidden states the golden file keeps (a BERT model's).</summary>
    public const int HiddenStateFixtures = 4;

    /// <summary>The committed fixtures.</summary>
    public static ImageDataset LoadFixtures(string goldenDir) =>
        FashionMnist.ReadSplit(Path.Combine(goldenDir, FixtureImages), Path.Combine(goldenDir, FixtureLabels), FashionMnist.ClassNames);

    /// <summary>Writes the first <see cref="FixtureCount"/> test images as the fixtures.</summary>
    public static void WriteFixtures(string goldenDir, DataLayout layout)
    {
        var images = Path.Combine(goldenDir, FixtureImages);
        var test = FashionMnist.Load(layout, DataSplit.Test).Slice(0, FixtureCount);
        using (var f = File.Create(images)) IdxReader.Write(f, [test.Count, test.Height, test.Width], test.Pixels);
        using (var f = File.Create(Path.Combine(goldenDir, FixtureLabels))) IdxReader.Write(f, [test.Count], test.Labels.Select(l => (byte)l).ToArray());
    }

    /// <summary>
    /// Runs encoder → quantizer → decoder in ONNX Runtime on the fixtures; a model with a BERT runs
    /// encoder → quantizer → bert → hidden_decoder and records the BERT's hidden states too.
    /// </summary>
    public static GoldenCase Compute(LqaeKindModel model, string goldenDir, string checkpointPath)
    {
        var fixturesPath = Path.Combine(goldenDir, FixtureImages);
        var fixtures = LoadFixtures(goldenDir);
        var scratch = Directory.CreateTempSubdirectory("langbridge-golden-").FullName;
        try
        {
            var export = BundleExporter.Export(model, Path.Combine(scratch, "bundle"));
            using var scope = NewDisposeScope();
            var images = ImageTensors.Normalised(fixtures, model.LqaeRecipe.Data);                 // (N, C, H, W)
            OrtRunner Runner(string role) => new(export.Graph(role).ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, role);
            using var encoder = Runner(LqaeKindModel.EncoderRole);
            using var quantizer = Runner(LqaeKindModel.QuantizerRole);
            var latents = encoder.Run([images])[0];
            var ids = quantizer.Run([tensor(latents.Floats!).view(latents.Shape)])[0];
            var idTensor = tensor(ids.Longs!).view(ids.Shape);                                       // (N, T)
            var tensors = new List<GoldenTensor> { new("token_ids", ids.Shape, Int64: ids.Longs) };
            if (model.Model.Bert is null)
            {
                using var decoder = Runner(LqaeKindModel.DecoderRole);
                var reconstruction = decoder.Run([idTensor])[0];
                tensors.Add(new GoldenTensor("reconstructions", reconstruction.Shape, Float32: reconstruction.Floats));
            }
            else
            {
                using var bert = Runner(LqaeKindModel.BertRole);
                using var decoder = Runner(LqaeKindModel.HiddenDecoderRole);
                var hidden = bert.Run([idTensor, ones_like(idTensor)])[0];                           // (N, T, D)
                var reconstruction = decoder.Run([tensor(hidden.Floats!).view(hidden.Shape)])[0];
                // The hidden states of the first few fixtures only: enough to pin the BERT graph, small enough to commit.
                long per = hidden.Shape[1] * hidden.Shape[2];
                tensors.Add(new GoldenTensor("hidden_states", [HiddenStateFixtures, hidden.Shape[1], hidden.Shape[2]], Float32: hidden.Floats![..(int)(HiddenStateFixtures * per)]));
                tensors.Add(new GoldenTensor("reconstructions", reconstruction.Shape, Float32: reconstruction.Floats));
            }
            var outputs = new GoldenOutputs(tensors,
                new Dictionary<string, string>
                {
                    ["model"] = model.Recipe.Name,
                    ["checkpoint_sha256"] = Sha256(checkpointPath),
                    ["fixtures_sha256"] = Sha256(fixturesPath),
                    ["opset"] = export.Manifest.Opset.ToString(),
                });
            return new GoldenCase($"{model.Recipe.Name}.golden.safetensors", outputs, Atol, Rtol, ["checkpoint_sha256", "fixtures_sha256", "opset"]);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
