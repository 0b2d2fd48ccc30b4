using System.Text.Json;
using System.Text.Json.Nodes;
using LangBridge.Data;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Import;

/// <summary>A GPT-2-family model folder loaded into our modules, with the tokenizer its vocabulary defines.</summary>
public sealed record HuggingFaceGptModel(GptModel Model, BytePairTokenizer Tokenizer, GptConfig Config) : IDisposable
{
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Reads and writes Hugging Face GPT-2 folders (<c>config.json</c>, <c>model.safetensors</c>, <c>vocab.json</c>,
/// <c>merges.txt</c>). Loading is strict: a configuration we do not implement (an activation other than
/// <c>gelu_new</c>, untied output weights), a missing tensor or a wrong shape throws
/// <see cref="PretrainedFormatException"/> naming it. A <c>transformer.</c> prefix (GPT2LMHeadModel) is accepted;
/// <c>lm_head.weight</c> (tied) and the attention-mask buffers older exports carry are ignored. The language model
/// the pipeline pretrains is saved in this layout too, so one loader serves both.
/// </summary>
public static class HuggingFaceGpt2
{
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", VocabFile = "vocab.json", MergesFile = "merges.txt";

    /// <summary>Loads the folder; the model comes back frozen.</summary>
    public static HuggingFaceGptModel Load(string folder)
    {
        foreach (var f in new[] { ConfigFile, WeightsFile, VocabFile, MergesFile })
            if (!File.Exists(Path.Combine(folder, f)))
                throw new PretrainedFormatException(folder, f, "file is missing (a GPT-2 folder holds config.json, model.safetensors, vocab.json and merges.txt).");
        var config = ReadConfig(Path.Combine(folder, ConfigFile));
        BytePairVocabulary vocabulary;
        try
        {
            vocabulary = BytePairVocabulary.Load(folder);
        }
        catch (FormatException e)
        {
            throw new PretrainedFormatException(folder, "vocab.json / merges.txt", e.Message);
        }
        if (vocabulary.Count > config.VocabSize)
            throw new PretrainedFormatException(Path.Combine(folder, VocabFile), "vocab_size", $"config says {config.VocabSize} embedding rows, vocab.json has {vocabulary.Count} tokens.");

        var weightsPath = Path.Combine(folder, WeightsFile);
        using var st = Safetensors.Open(weightsPath);
        string? Resolve(string name) =>
            st.Tensors.ContainsKey(name) ? name : st.Tensors.ContainsKey("transformer." + name) ? "transformer." + name : null;
        var model = new GptModel(config);
        try
        {
            model.LoadHfTensors(name => Resolve(name) is { } key ? tensor(st.ReadFloat32(key), st.Get(key).Shape) : null, weightsPath);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new HuggingFaceGptModel(model.Frozen(), new BytePairTokenizer(vocabulary), config);
    }

    /// <summary>Reads config.json strictly.</summary>
    public static GptConfig ReadConfig(string path)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new PretrainedFormatException(path, "(file)", $"is not JSON: {e.Message}");
        }
        int Int(string key, int? fallback = null)
        {
            if (root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null)
                return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw new PretrainedFormatException(path, key, $"expected an integer, found {v}.");
            return fallback ?? throw new PretrainedFormatException(path, key, "is missing.");
        }
        string? Str(string key) => root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        bool Flag(string key, bool fallback) => root.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

        if (Str("model_type") is { } type && type != "gpt2") throw new PretrainedFormatException(path, "model_type", $"'{type}' is not supported (supported: gpt2).");
        if ((Str("activation_function") ?? "gelu_new") != "gelu_new")
            throw new PretrainedFormatException(path, "activation_function", $"'{Str("activation_function")}' is not supported (supported: gelu_new, GPT-2's tanh GELU).");
        if (!Flag("tie_word_embeddings", true)) throw new PretrainedFormatException(path, "tie_word_embeddings", "untied output weights are not supported.");
        if (!Flag("scale_attn_weights", true)) throw new PretrainedFormatException(path, "scale_attn_weights", "unscaled attention is not supported.");
        if (Flag("scale_attn_by_inverse_layer_idx", false) || Flag("reorder_and_upcast_attn", false))
            throw new PretrainedFormatException(path, "scale_attn_by_inverse_layer_idx", "per-layer attention scaling is not supported.");
        int width = Int("n_embd");
        var config = new GptConfig
        {
            VocabSize = Int("vocab_size"), ContextLength = Int("n_positions", Int("n_ctx", 1024)), Width = width,
            Layers = Int("n_layer"), Heads = Int("n_head"), InnerWidth = Int("n_inner", 4 * width),
            LayerNormEps = root.TryGetProperty("layer_norm_epsilon", out var eps) ? eps.GetDouble() : 1e-5,
        };
        config.Validate(path);
        return config;
    }

    /// <summary>Writes <paramref name="model"/> and its vocabulary as a GPT-2 folder <see cref="Load"/> reads back (and Hugging Face's GPT2LMHeadModel too).</summary>
    public static void Save(string folder, GptModel model, BytePairVocabulary vocabulary, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(folder);
        var c = model.Config;
        var config = new JsonObject
        {
            ["model_type"] = "gpt2", ["architectures"] = new JsonArray("GPT2LMHeadModel"), ["vocab_size"] = c.VocabSize,
            ["n_positions"] = c.ContextLength, ["n_ctx"] = c.ContextLength, ["n_embd"] = c.Width, ["n_layer"] = c.Layers, ["n_head"] = c.Heads,
            ["n_inner"] = c.InnerWidth, ["activation_function"] = "gelu_new", ["layer_norm_epsilon"] = c.LayerNormEps,
            ["bos_token_id"] = vocabulary.EndOfTextId, ["eos_token_id"] = vocabulary.EndOfTextId, ["tie_word_embeddings"] = true,
            ["resid_pdrop"] = 0.0, ["embd_pdrop"] = 0.0, ["attn_pdrop"] = 0.0,
        };
        File.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var tensors = model.HfTensors().Select(t =>
        {
            using var cpu = t.Value.cpu().contiguous();
            return SafeTensor.Float32(t.Name, cpu.shape, cpu.data<float>().ToArray());
        }).ToList();
        // transformers refuses a safetensors file whose metadata does not say its format.
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["format"] = "pt" };
        Safetensors.WriteFile(Path.Combine(folder, WeightsFile), tensors, meta);
        vocabulary.Save(folder);
    }
}
