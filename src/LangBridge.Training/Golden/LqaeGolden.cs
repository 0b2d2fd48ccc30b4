using System.Security.Cryptography;
using LangBridge.Data;
using LangBridge.Training.Lqae;
using LangBridge.Onnx.Parity;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LangBridge.Training.Golden;

/// <summary>
/// Golden outputs of the LQAE reference model: the exported graphs run by ONNX Runtime (CPU, full
/// optimisation) on the fixture images. Used by the Golden task to regenerate and by tests to compare.
/// </summary>
public static class LqaeGolden
{
    /// <summary>Reconstruction tolerance when comparing with committed outputs (token ids must match exactly).</summary>
    public const double Atol = 1e-4, Rtol = 1e-3;

    /// <summary>Runs encoder → quantizer → decoder in ONNX Runtime on <paramref name="fixtures"/>.</summary>
    public static GoldenOutputs Compute(LqaeModel model, ImageDataset fixtures, string checkpointPath, string fixturesPath)
    {
        var scratch = Directory.CreateTempSubdirectory("langbridge-golden-").FullName;
        try
        {
            // Words do not affect the graphs; placeholders keep the reference independent of a vocabulary file.
            var export = LqaeBundleExporter.Export(model, Enumerable.Range(0, model.Recipe.Codebook.Size).Select(i => $"w{i}").ToArray(), scratch);
            using var scope = NewDisposeScope();
            var images = ImageTensors.Normalised(fixtures, model.Recipe.Data);                  // (N, C, H, W)
            using var encoder = new OrtRunner(export.Encoder.ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, "encoder");
            using var quantizer = new OrtRunner(export.Quantizer.ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, "quantizer");
            using var decoder = new OrtRunner(export.Decoder.ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, "decoder");
            var latents = encoder.Run([images])[0];
            var ids = quantizer.Run([tensor(latents.Floats!).view(latents.Shape)])[0];
            var reconstruction = decoder.Run([tensor(ids.Longs!).view(ids.Shape)])[0];
            return new GoldenOutputs(ids.Longs!, (int)ids.Shape[0], (int)ids.Shape[1], reconstruction.Floats!, reconstruction.Shape,
                new Dictionary<string, string>
                {
                    ["model"] = model.Recipe.Name,
                    ["checkpoint_sha256"] = Sha256(checkpointPath),
                    ["fixtures_sha256"] = Sha256(fixturesPath),
                    ["opset"] = export.Manifest.Opset.ToString(),
                });
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>What changed between two golden sets, in words (empty when identical within tolerance).</summary>
    public static IReadOnlyList<string> Compare(GoldenOutputs expected, GoldenOutputs actual)
    {
        var changes = new List<string>();
        if (expected.TokenIds.Length != actual.TokenIds.Length)
        {
            changes.Add($"token ids: {expected.TokenIds.Length} -> {actual.TokenIds.Length} values");
            return changes;
        }
        int changedIds = expected.TokenIds.Zip(actual.TokenIds).Count(p => p.First != p.Second);
        if (changedIds > 0)
        {
            var images = Enumerable.Range(0, expected.Images)
                .Where(i => !expected.TokenIds.AsSpan(i * expected.TokensPerImage, expected.TokensPerImage)
                    .SequenceEqual(actual.TokenIds.AsSpan(i * actual.TokensPerImage, actual.TokensPerImage))).ToArray();
            changes.Add($"token ids: {changedIds} of {expected.TokenIds.Length} changed, in images {string.Join(", ", images)}");
        }
        double maxAbs = 0;
        long outside = 0;
        for (int i = 0; i < Math.Min(expected.Reconstructions.Length, actual.Reconstructions.Length); i++)
        {
            double d = Math.Abs(expected.Reconstructions[i] - actual.Reconstructions[i]);
            maxAbs = Math.Max(maxAbs, d);
            if (!(d <= Atol + Rtol * Math.Abs(expected.Reconstructions[i]))) outside++;
        }
        if (expected.Reconstructions.Length != actual.Reconstructions.Length)
            changes.Add($"reconstructions: {expected.Reconstructions.Length} -> {actual.Reconstructions.Length} values");
        else if (outside > 0)
            changes.Add($"reconstructions: {outside} values outside atol {Atol} + rtol {Rtol} (max abs diff {maxAbs:g3})");
        foreach (var key in new[] { "checkpoint_sha256", "fixtures_sha256", "opset" })
            if (expected.Metadata.GetValueOrDefault(key) != actual.Metadata.GetValueOrDefault(key))
                changes.Add($"{key}: {expected.Metadata.GetValueOrDefault(key)} -> {actual.Metadata.GetValueOrDefault(key)}");
        return changes;
    }

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
