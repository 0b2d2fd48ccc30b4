using System.Text.Json;
using System.Text.Json.Serialization;
using LangBridge.Onnx.Parity;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>Parity of a whole LQAE bundle against the TorchSharp model it was exported from.</summary>
public sealed record LqaeParityReport
{
    public required string Model { get; init; }
    public required bool Passed { get; init; }
    public required int Images { get; init; }
    /// <summary>Share of tokens where ORT's encoder→quantizer chain gives the TorchSharp model's id (near-ties count as matches).</summary>
    public required double TokenMatchRate { get; init; }
    public required long Tokens { get; init; }
    /// <summary>Tokens whose ids differ only because the best two words score within the near-tie gap.</summary>
    public required long NearTies { get; init; }
    public required long TokenMismatches { get; init; }
    public required IReadOnlyDictionary<string, ParityReport> Graphs { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>
/// Checks an exported LQAE bundle: each graph against its TorchSharp module (ORT optimisations off
/// and fully on), and the end-to-end token ids of ORT's encoder→quantizer chain against the model's
/// own (tiled-search) tokenizer.
/// </summary>
public static class LqaeVerifier
{
    public static LqaeParityReport Verify(LqaeModel model, LqaeExport export, Tensor images, int batchSize = 32, Action<string>? log = null)
    {
        model.eval();
        long count = images.shape[0];
        var imageCases = new List<ParityCase>();
        var latentCases = new List<ParityCase>();
        var idCases = new List<ParityCase>();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Batches of batchSize, plus single-image and odd-sized batches so the dynamic batch axis is exercised.
        var sizes = new List<long> { 1, 7 };
        for (long start = 8; start < count; start += batchSize) sizes.Add(Math.Min(batchSize, count - start));
        long offset = 0;
        foreach (var size in sizes)
        {
            if (offset >= count) break;
            var batch = images.narrow(0, offset, Math.Min(size, count - offset));
            var latents = model.Encoder.call(batch);
            var ids = model.Encode(batch);
            imageCases.Add(new ParityCase($"images[{offset}..{offset + batch.shape[0]})", batch));
            latentCases.Add(new ParityCase($"latents[{offset}..{offset + batch.shape[0]})", latents));
            idCases.Add(new ParityCase($"ids[{offset}..{offset + batch.shape[0]})", ids));
            offset += batch.shape[0];
        }

        log?.Invoke($"encoder parity on {count} images...");
        var encoder = ParityHarness.Verify(model.Encoder, export.Encoder, imageCases);
        log?.Invoke($"quantizer parity...");
        var quantizer = ParityHarness.Verify(model.Quantizer, export.Quantizer, latentCases);
        log?.Invoke($"decoder parity...");
        var decoder = ParityHarness.Verify(model.TokenDecoder, export.Decoder, idCases);

        log?.Invoke("end-to-end token ids (ORT encoder -> ORT quantizer vs TorchSharp)...");
        long tokens = 0, ties = 0, mismatches = 0;
        using (var enc = new OrtRunner(export.Encoder.ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, "encoder"))
        using (var quant = new OrtRunner(export.Quantizer.ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, "quantizer"))
        {
            for (int i = 0; i < imageCases.Count; i++)
            {
                using var step = NewDisposeScope();
                var batch = imageCases[i].Inputs[0];
                var latents = enc.Run([batch])[0];
                var ortLatents = tensor(latents.Floats!).view(latents.Shape);
                var ortIds = quant.Run([ortLatents])[0].Longs!;
                var torchIds = idCases[i].Inputs[0].data<long>().ToArray();
                var gaps = model.Quantizer.Top2Gap(latentCases[i].Inputs[0]).flatten().data<float>().ToArray();
                for (int t = 0; t < torchIds.Length; t++)
                {
                    tokens++;
                    if (ortIds[t] == torchIds[t]) continue;
                    if (gaps[t] < ParityTolerance.NearTieGap) ties++; else mismatches++;
                }
            }
        }

        return new LqaeParityReport
        {
            Model = model.Recipe.Name,
            Passed = encoder.Passed && quantizer.Passed && decoder.Passed && mismatches == 0,
            Images = (int)count,
            Tokens = tokens,
            NearTies = ties,
            TokenMismatches = mismatches,
            TokenMatchRate = (double)(tokens - mismatches) / tokens,
            Graphs = new Dictionary<string, ParityReport> { ["encoder"] = encoder, ["quantizer"] = quantizer, ["decoder"] = decoder },
        };
    }
}
