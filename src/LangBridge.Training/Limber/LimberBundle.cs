using System.Text;
using System.Text.Json;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Parity;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using LangBridge.Training.Language;
using LangBridge.Training.Pipeline;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LangBridge.Training.Limber;

/// <summary>
/// The captioning bundle of a LiMBeR model: <c>image_encoder</c> (normalised image → pooled feature), <c>bridge</c>
/// (feature → k soft tokens), <c>token_embeddings</c> (ids → embeddings) and <c>language_model</c> (embeddings,
/// attention mask and past keys/values → logits and presents), GPT-2's <c>vocab.json</c> and <c>merges.txt</c>, and
/// <c>captioner.json</c> (prompt, its ids, end of text, the LM's shape, LiMBeR's sampling defaults).
/// </summary>
public static class LimberBundle
{
    public const string EncoderRole = "image_encoder", BridgeRole = "bridge", EmbeddingsRole = "token_embeddings", LanguageModelRole = "language_model";
    public const string CaptionerFile = "captioner.json", VocabFile = "vocab.json", MergesFile = "merges.txt";

    public static BundleDefinition Define(LimberKindModel model, EncoderFeatures.PooledEncoder encoder)
    {
        var r = model.LimberRecipe;
        var lm = model.Model.Lm;
        var bridge = model.Model.Bridge(r.Bundle.Encoder);
        var sequence = GptModel.SequenceDim;
        var lmInputs = lm.OnnxInputs().Select(s => new GraphInput(s,
            s.Name == GptModel.EmbedsName ? TensorMeaning.InputsEmbeds : s.Name == GptModel.AttentionMaskName ? TensorMeaning.AttentionMask : TensorMeaning.PastKeyValues)).ToArray();
        var lmOutputs = lm.OnnxOutputs().Select(n => new GraphOutput(n, n == GptModel.LogitsName ? TensorMeaning.Logits : TensorMeaning.PresentKeyValues)).ToArray();
        var graphs = new List<GraphDefinition>
        {
            new(EncoderRole, encoder.Module, [new(OnnxInputSpec.Batched("image", 1, model.Test.Height, model.Test.Width), TensorMeaning.Image)],
                [new("features", TensorMeaning.Features)]),
            new(BridgeRole, bridge, [new(OnnxInputSpec.Batched("features", bridge.Features), TensorMeaning.Features)], [new("soft_tokens", TensorMeaning.InputsEmbeds)]),
            new(EmbeddingsRole, new GptTokenEmbeddings(lm), [new(new OnnxInputSpec("input_ids", OnnxElementType.Int64, [OnnxDim.Batch, sequence]), TensorMeaning.InputIds)],
                [new("embeddings", TensorMeaning.InputsEmbeds)]),
            new(LanguageModelRole, lm, lmInputs, lmOutputs),
        };
        var c = lm.Config;
        var captioner = JsonSerializer.SerializeToUtf8Bytes(new
        {
            prompt = r.Prompt, prompt_ids = model.Model.PromptIds, soft_tokens = r.Bridge.Tokens, end_of_text_id = model.Model.Tokenizer.EndOfTextId,
            encoder = r.Bundle.Encoder.Key(), context_length = c.ContextLength, layers = c.Layers, heads = c.Heads,
            head_size = c.HeadSize, width = c.Width, vocab_size = c.VocabSize, vocab = VocabFile, merges = MergesFile,
            sampling = new { temperature = 0.7, top_p = 0.9, max_tokens = r.Evaluation.MaxTokens },
        }, new JsonSerializerOptions { WriteIndented = true });
        var vocabulary = model.Model.Tokenizer.Vocabulary;
        return new BundleDefinition(graphs,
            [new BundleAsset("vocabulary", VocabFile, "bpe_vocabulary", Encoding.UTF8.GetBytes(vocabulary.VocabJson())),
             new BundleAsset("merges", MergesFile, "bpe_merges", Encoding.UTF8.GetBytes(vocabulary.MergesText())),
             new BundleAsset("captioner", CaptionerFile, "captioner", captioner)],
            new ImageSpec { Channels = 1, Height = model.Test.Height, Width = model.Test.Width, Mean = [encoder.Mean], Std = [encoder.Std] });
    }

    /// <summary>
    /// Parity cases for every graph on the first <paramref name="examples"/> test images (their features, soft tokens,
    /// the prefix read from an empty cache and one more step through the cache), and the greedy-caption check.
    /// </summary>
    public static VerificationPlan Plan(LimberKindModel model, EncoderFeatures.PooledEncoder encoder, int examples)
    {
        using var noGrad = no_grad();
        int n = Math.Min(examples, model.Test.Count);
        var images = tensor(model.Test.Pixels.AsSpan(0, n * model.Test.ImageSize).ToArray(), dtype: ScalarType.Byte)
            .view(n, 1, model.Test.Height, model.Test.Width).to_type(ScalarType.Float32).div_(255f).sub_(encoder.Mean).div_(encoder.Std);   // (n, 1, H, W)
        var enc = model.LimberRecipe.Bundle.Encoder;
        var bridge = model.Model.Bridge(enc);
        var lm = model.Model.Lm;
        var sizes = new List<(int Start, int Count)> { (0, 1) };
        for (int start = 1; start < n; start += 32) sizes.Add((start, Math.Min(32, n - start)));
        var imageCases = sizes.Select(s => new ParityCase($"images[{s.Start}..{s.Start + s.Count})", images.narrow(0, s.Start, s.Count))).ToArray();
        var features = imageCases.Select(c => encoder.Module.call(c.Inputs[0])).ToArray();
        var bridgeCases = features.Select((f, i) => new ParityCase(imageCases[i].Name, f)).ToArray();
        var prompt = tensor(model.Model.PromptIds, dtype: ScalarType.Int64).view(1, -1);
        var embeddingCases = new[] { new ParityCase("prompt", prompt), new ParityCase("prompt×3", prompt.expand(3, -1).contiguous()) };
        // The LM on a few batches: the prefix from an empty cache, then one token through the prefix's cache.
        var lmCases = new List<ParityCase>();
        foreach (var (f, i) in features.Take(4).Select((f, i) => (f, i)))
        {
            var prefix = model.Model.Prefix(enc, f);                                                    // (b, k + P, D)
            long b = prefix.shape[0], p = prefix.shape[1];
            var empty = Enumerable.Range(0, 2 * lm.Config.Layers).Select(_ => zeros(b, lm.Config.Heads, 0, lm.Config.HeadSize)).ToArray();
            lmCases.Add(new ParityCase($"prefix of {imageCases[i].Name}", [prefix, ones(b, p, dtype: ScalarType.Int64), .. empty]));
            var (_, cache) = lm.Step(prefix, null);
            var next = lm.Embed(full(b, 1, model.Model.PromptIds[0], dtype: ScalarType.Int64));
            lmCases.Add(new ParityCase($"step after {imageCases[i].Name}", [next, ones(b, p + 1, dtype: ScalarType.Int64), .. cache.Layers.SelectMany(l => new[] { l.Keys, l.Values })]));
        }
        return new VerificationPlan(n, new Dictionary<string, IReadOnlyList<ParityCase>>
        {
            [EncoderRole] = imageCases, [BridgeRole] = bridgeCases, [EmbeddingsRole] = embeddingCases, [LanguageModelRole] = lmCases,
        }, [new GreedyCaptionCheck(model, encoder, images)]);
    }
}

/// <summary>
/// End to end: ONNX Runtime's four graphs caption the verification images greedily (prefix from an empty cache, then
/// one token a step through the graph's own presents) to the very token ids TorchSharp's <see cref="GptGenerator"/> writes.
/// </summary>
internal sealed class GreedyCaptionCheck(LimberKindModel model, EncoderFeatures.PooledEncoder encoder, Tensor images) : IBundleCheck
{
    public string Name => "greedy_captions";

    public CheckResult Run(BundleExport export, Action<string>? log)
    {
        OrtRunner Runner(string role) => new(export.Graph(role).ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, role);
        using var enc = Runner(LimberBundle.EncoderRole);
        using var bridge = Runner(LimberBundle.BridgeRole);
        using var embed = Runner(LimberBundle.EmbeddingsRole);
        using var lm = Runner(LimberBundle.LanguageModelRole);
        var config = model.Model.Lm.Config;
        int eot = model.Model.Tokenizer.EndOfTextId, maxTokens = model.LimberRecipe.Evaluation.MaxTokens;
        var options = SamplingOptions.Greedy with { MaxTokens = maxTokens };
        long total = 0, identical = 0, tokens = 0;
        for (int start = 0; start < images.shape[0]; start += 50)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int b = (int)Math.Min(50, images.shape[0] - start);
            var batch = images.narrow(0, start, b);
            var reference = GptGenerator.Generate(model.Model.Lm, model.Model.Prefix(model.LimberRecipe.Bundle.Encoder, encoder.Module.call(batch)), options, eot);
            Tensor T(OrtOutput o) => o.Floats is { } f ? tensor(f).view(o.Shape) : tensor(o.Longs!).view(o.Shape);
            var soft = T(bridge.Run([T(enc.Run([batch])[0])])[0]);                                           // (b, k, D)
            var prompt = T(embed.Run([tensor(model.Model.PromptIds, dtype: ScalarType.Int64).view(1, -1).expand(b, -1).contiguous()])[0]);
            var input = cat([soft, prompt], 1);
            var past = Enumerable.Range(0, 2 * config.Layers).Select(_ => zeros(b, config.Heads, 0, config.HeadSize)).ToList();
            long length = 0;
            var generated = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
            var done = new bool[b];
            int steps = (int)Math.Min(maxTokens, config.ContextLength - input.shape[1]);
            for (int t = 0; t < steps && !done.All(d => d); t++)
            {
                length += input.shape[1];
                var outs = lm.Run([input, ones(b, length, dtype: ScalarType.Int64), .. past]);
                past = outs.Skip(1).Select(T).ToList();
                var logits = outs[0];
                int v = (int)logits.Shape[2], s = (int)logits.Shape[1];
                var next = new long[b];
                for (int i = 0; i < b; i++)
                {
                    int id = TokenSampler.ArgMax(logits.Floats.AsSpan((i * s + s - 1) * v, v));
                    next[i] = id;
                    if (done[i]) continue;
                    if (id == eot) done[i] = true; else generated[i].Add(id);
                }
                input = T(embed.Run([tensor(next, dtype: ScalarType.Int64).view(b, 1)])[0]);
            }
            for (int i = 0; i < b; i++)
            {
                total++;
                tokens += reference[i].Length;
                if (reference[i].SequenceEqual(generated[i])) identical++;
            }
        }
        log?.Invoke($"greedy captions: {identical} of {total} identical");
        return new CheckResult(identical == total, $"{identical} of {total} greedy captions have identical token ids ({tokens:N0} tokens)",
            new Dictionary<string, double> { ["images"] = total, ["identical"] = identical, ["tokens"] = tokens });
    }
}
