using LangBridge.Data;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Tests;

/// <summary>
/// A tiny BERT (2 layers, hidden 32, 4 heads, FFN 64, 16 positions, 40 tokens) written as a Hugging Face folder
/// (config.json, model.safetensors, vocab.txt) in a temporary directory, with its raw tensors kept for reference forwards.
/// </summary>
public sealed class TinyHuggingFaceBert : IDisposable
{
    public const int Vocab = 40, Hidden = 32, Layers = 2, Heads = 4, Ffn = 64, Positions = 16;
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "langbridge-hf-" + Guid.NewGuid().ToString("N"));
    public Dictionary<string, Tensor> Weights { get; } = new();

    public TinyHuggingFaceBert()
    {
        Directory.CreateDirectory(Dir);
        var gen = new Generator(11);
        void Add(string name, params long[] shape) => Weights[name] = randn(shape, generator: gen) * 0.2f;
        Add("bert.embeddings.word_embeddings.weight", Vocab, Hidden);
        Add("bert.embeddings.position_embeddings.weight", Positions, Hidden);
        Add("bert.embeddings.token_type_embeddings.weight", 2, Hidden);
        Add("bert.embeddings.LayerNorm.weight", Hidden); Add("bert.embeddings.LayerNorm.bias", Hidden);
        for (int i = 0; i < Layers; i++)
        {
            var p = $"bert.encoder.layer.{i}.";
            foreach (var n in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            { Add(p + n + ".weight", Hidden, Hidden); Add(p + n + ".bias", Hidden); }
            Add(p + "attention.output.LayerNorm.weight", Hidden); Add(p + "attention.output.LayerNorm.bias", Hidden);
            Add(p + "intermediate.dense.weight", Ffn, Hidden); Add(p + "intermediate.dense.bias", Ffn);
            Add(p + "output.dense.weight", Hidden, Ffn); Add(p + "output.dense.bias", Hidden);
            Add(p + "output.LayerNorm.weight", Hidden); Add(p + "output.LayerNorm.bias", Hidden);
        }
        Add("cls.predictions.bias", Vocab);                                                        // an MLM head we ignore
        WriteWeights(Weights);
        WriteConfig("""{"model_type": "bert", "hidden_act": "gelu", "position_embedding_type": "absolute"}""");
        File.WriteAllLines(Path.Combine(Dir, "vocab.txt"),
            ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(0, Vocab - 5).Select(i => $"w{i}")]);
    }

    public void WriteWeights(IReadOnlyDictionary<string, Tensor> weights) =>
        Safetensors.WriteFile(Path.Combine(Dir, "model.safetensors"),
            weights.Select(kv => SafeTensor.Float32(kv.Key, kv.Value.shape, kv.Value.contiguous().data<float>().ToArray())));

    public void WriteConfig(string extra)
    {
        var baseJson = $$"""{"vocab_size": {{Vocab}}, "hidden_size": {{Hidden}}, "num_hidden_layers": {{Layers}}, "num_attention_heads": {{Heads}}, "intermediate_size": {{Ffn}}, "max_position_embeddings": {{Positions}}, "type_vocab_size": 2, "layer_norm_eps": 1e-12""";
        var inner = extra.Trim().TrimStart('{').TrimEnd('}').Trim();
        File.WriteAllText(Path.Combine(Dir, "config.json"), baseJson + (inner.Length > 0 ? ", " + inner : "") + "}");
    }

    public void Dispose()
    {
        foreach (var t in Weights.Values) t.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
