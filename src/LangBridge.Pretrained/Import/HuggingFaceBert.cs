using System.Text.Json;
using LangBridge.Data;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Import;

/// <summary>A Hugging Face BERT-family model folder loaded into our modules.</summary>
public sealed record HuggingFaceBertModel(BertEncoder Encoder, WordPieceTokenizer Tokenizer, BertConfig Config);

/// <summary>
/// Loads a Hugging Face BERT-family folder (<c>config.json</c>, <c>model.safetensors</c>,
/// <c>vocab.txt</c>) into <see cref="BertEncoder"/>. Strict: an unsupported configuration value
/// (activation other than exact GELU, relative positions, a decoder, …), a missing tensor or a
/// wrong shape throws <see cref="PretrainedFormatException"/> naming it. Tensors of heads we do not
/// use (<c>cls.*</c>, MLM/NSP) are ignored; a "bert." prefix (BertForMaskedLM and friends) is accepted.
/// </summary>
public static class HuggingFaceBert
{
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", VocabFile = "vocab.txt";

    private static readonly HashSet<string> SupportedModelTypes = ["bert"];

    public static HuggingFaceBertModel Load(string folder, int maxLength = 128)
    {
        var configPath = Path.Combine(folder, ConfigFile);
        var weightsPath = Path.Combine(folder, WeightsFile);
        var vocabPath = Path.Combine(folder, VocabFile);
        foreach (var f in new[] { configPath, weightsPath, vocabPath })
            if (!File.Exists(f)) throw new PretrainedFormatException(folder, Path.GetFileName(f), "file is missing (a Hugging Face BERT folder holds config.json, model.safetensors and vocab.txt).");

        var (config, lowerCase) = ReadConfig(configPath);
        WordPieceVocabulary vocab;
        WordPieceTokenizer tokenizer;
        try
        {
            // The tokenizer first: a vocabulary it refuses (a repeated token, a special token missing) leaves nothing to dispose.
            vocab = new WordPieceVocabulary(WordPieceVocabulary.ReadLines(vocabPath));
            tokenizer = new WordPieceTokenizer(vocab, new WordPieceOptions { Uncased = lowerCase, MaxLength = Math.Min(maxLength, config.MaxPositions) });
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException or ArgumentException or InvalidDataException)
        {
            throw new PretrainedFormatException(vocabPath, "vocab.txt", e.Message);
        }
        // A table may be padded past the vocabulary (rows never looked up); a token without a row cannot be embedded.
        if (vocab.Count > config.VocabSize)
            throw new PretrainedFormatException(vocabPath, "vocab_size", $"config says {config.VocabSize} embedding rows, vocab.txt has {vocab.Count} tokens.");

        using var st = Safetensors.Open(weightsPath);
        string? Resolve(string name) =>
            st.Tensors.ContainsKey(name) ? name : st.Tensors.ContainsKey("bert." + name) ? "bert." + name : null;
        var withPooler = config with { HasPooler = Resolve("pooler.dense.weight") is not null };
        var encoder = new BertEncoder(withPooler);
        try
        {
            encoder.LoadHfTensors(name =>
            {
                var key = Resolve(name);
                if (key is null) return null;
                var info = st.Get(key);
                return tensor(st.ReadFloat32(key), info.Shape);
            }, weightsPath);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        return new HuggingFaceBertModel(encoder.Frozen(), tokenizer, withPooler);
    }

    /// <summary>Reads config.json strictly; returns the config and whether the vocabulary is uncased.</summary>
    public static (BertConfig Config, bool LowerCase) ReadConfig(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        int Int(string key, int? fallback = null)
        {
            if (root.TryGetProperty(key, out var v))
                return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw new PretrainedFormatException(path, key, $"expected an integer, found {v}.");
            return fallback ?? throw new PretrainedFormatException(path, key, "is missing.");
        }
        string? Str(string key) => root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        void Require(string key, string? value, params string[] allowed)
        {
            if (value is not null && !allowed.Contains(value))
                throw new PretrainedFormatException(path, key, $"'{value}' is not supported (supported: {string.Join(", ", allowed)}).");
        }

        Require("model_type", Str("model_type"), [.. SupportedModelTypes]);
        Require("hidden_act", Str("hidden_act") ?? "gelu", "gelu");                         // exact erf GELU only
        Require("position_embedding_type", Str("position_embedding_type"), "absolute");
        if (root.TryGetProperty("is_decoder", out var dec) && dec.ValueKind == JsonValueKind.True)
            throw new PretrainedFormatException(path, "is_decoder", "a decoder (causal attention) is not supported.");
        if (root.TryGetProperty("add_cross_attention", out var cross) && cross.ValueKind == JsonValueKind.True)
            throw new PretrainedFormatException(path, "add_cross_attention", "cross-attention is not supported.");
        double eps = root.TryGetProperty("layer_norm_eps", out var e) ? e.GetDouble() : 1e-12;
        var config = new BertConfig
        {
            VocabSize = Int("vocab_size"), HiddenSize = Int("hidden_size"), Layers = Int("num_hidden_layers"),
            Heads = Int("num_attention_heads"), IntermediateSize = Int("intermediate_size"),
            MaxPositions = Int("max_position_embeddings", 512), TypeVocabSize = Int("type_vocab_size", 2), LayerNormEps = eps,
        };
        config.Validate(path);
        bool lower = !root.TryGetProperty("do_lower_case", out var lc) || lc.ValueKind != JsonValueKind.False;
        return (config, lower);
    }
}
