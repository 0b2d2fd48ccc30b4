using System.Text.Json;
using LangBridge.Data;
using LangBridge.Runtime;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Tests;

/// <summary>
/// A tiny GPT-2 (2 layers, width 32, 4 heads, 24 positions, 260 tokens: the 256 bytes, three merges and
/// end of text) written in Hugging Face's layout (config.json, model.safetensors with GPT2LMHeadModel's
/// <c>transformer.</c> names and Conv1D [in, out] weights, vocab.json, merges.txt) in a temporary directory,
/// with its raw tensors kept for a reference forward.
/// </summary>
public sealed class TinyGpt2 : IDisposable
{
    public const int Width = 32, Layers = 2, Heads = 4, Positions = 24, Vocab = 260;
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "langbridge-gpt2-" + Guid.NewGuid().ToString("N"));
    public Dictionary<string, Tensor> Weights { get; } = new();

    public TinyGpt2()
    {
        Directory.CreateDirectory(Dir);
        var gen = new Generator(5);
        void Add(string name, params long[] shape) => Weights[name] = randn(shape, generator: gen) * 0.3f;
        Add("transformer.wte.weight", Vocab, Width);
        Add("transformer.wpe.weight", Positions, Width);
        for (int i = 0; i < Layers; i++)
        {
            var p = $"transformer.h.{i}.";
            Add(p + "ln_1.weight", Width); Add(p + "ln_1.bias", Width);
            Add(p + "attn.c_attn.weight", Width, 3 * Width); Add(p + "attn.c_attn.bias", 3 * Width);
            Add(p + "attn.c_proj.weight", Width, Width); Add(p + "attn.c_proj.bias", Width);
            Add(p + "ln_2.weight", Width); Add(p + "ln_2.bias", Width);
            Add(p + "mlp.c_fc.weight", Width, 4 * Width); Add(p + "mlp.c_fc.bias", 4 * Width);
            Add(p + "mlp.c_proj.weight", 4 * Width, Width); Add(p + "mlp.c_proj.bias", Width);
        }
        Add("transformer.ln_f.weight", Width); Add("transformer.ln_f.bias", Width);
        WriteWeights(Weights, extra: true);
        WriteConfig("");
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.Char((byte)b).ToString()).Concat(["Ġa", "Ġab", "ab", BytePairVocabulary.EndOfTextToken]).ToArray();
        new BytePairVocabulary(tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i), [("Ġ", "a"), ("a", "b"), ("Ġa", "b")]).Save(Dir);
    }

    /// <summary>Writes the weights; <paramref name="extra"/> adds what real exports carry and we ignore (lm_head, the causal-mask buffers).</summary>
    public void WriteWeights(IReadOnlyDictionary<string, Tensor> weights, bool extra = false)
    {
        var all = weights.Select(kv => SafeTensor.Float32(kv.Key, kv.Value.shape, kv.Value.contiguous().data<float>().ToArray())).ToList();
        if (extra)
        {
            all.Add(SafeTensor.Float32("lm_head.weight", [Vocab, Width], weights["transformer.wte.weight"].contiguous().data<float>().ToArray()));
            all.Add(SafeTensor.Float32("transformer.h.0.attn.bias", [1, 1, Positions, Positions], new float[Positions * Positions]));
        }
        Safetensors.WriteFile(Path.Combine(Dir, "model.safetensors"), all);
    }

    public void WriteConfig(string extra)
    {
        var baseJson = $$"""{"model_type": "gpt2", "vocab_size": {{Vocab}}, "n_positions": {{Positions}}, "n_embd": {{Width}}, "n_layer": {{Layers}}, "n_head": {{Heads}}, "n_inner": null, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5""";
        var inner = extra.Trim().TrimStart('{').TrimEnd('}').Trim();
        var json = baseJson + (inner.Length > 0 ? ", " + inner : "") + "}";
        using var _ = JsonDocument.Parse(json);                                               // a broken fixture fails here, not in the code under test
        File.WriteAllText(Path.Combine(Dir, "config.json"), json);
    }

    /// <summary>GPT-2's forward written out from the raw tensors (Conv1D: x·W + b), every position a token: logits (B, S, V).</summary>
    public Tensor ReferenceLogits(Tensor ids)
    {
        using var scope = NewDisposeScope();
        Tensor W(string n) => Weights["transformer." + n];
        Tensor Norm(Tensor x, string n) => nn.functional.layer_norm(x, [Width], W(n + ".weight"), W(n + ".bias"), 1e-5);
        long b = ids.shape[0], s = ids.shape[1];
        int dh = Width / Heads;
        var x = W("wte.weight").index_select(0, ids.flatten()).view(b, s, Width) + W("wpe.weight").narrow(0, 0, s);
        var causal = ones(s, s).tril().view(1, 1, s, s);
        for (int i = 0; i < Layers; i++)
        {
            var p = $"h.{i}.";
            var qkv = Norm(x, p + "ln_1").matmul(W(p + "attn.c_attn.weight")) + W(p + "attn.c_attn.bias");
            var parts = qkv.split(Width, 2);
            Tensor Split(Tensor t) => t.view(b, s, Heads, dh).transpose(1, 2);
            var att = Split(parts[0]).matmul(Split(parts[1]).transpose(2, 3)) / Math.Sqrt(dh);
            att = att.masked_fill(causal.eq(0), float.NegativeInfinity).softmax(-1);
            var y = att.matmul(Split(parts[2])).transpose(1, 2).reshape(b, s, Width);
            x = x + y.matmul(W(p + "attn.c_proj.weight")) + W(p + "attn.c_proj.bias");
            var hidden = Norm(x, p + "ln_2").matmul(W(p + "mlp.c_fc.weight")) + W(p + "mlp.c_fc.bias");
            // gelu_new written out: 0.5·h·(1 + tanh(√(2/π)·(h + 0.044715·h³)))
            hidden = hidden * 0.5 * (1 + (Math.Sqrt(2 / Math.PI) * (hidden + 0.044715 * hidden.pow(3))).tanh());
            x = x + hidden.matmul(W(p + "mlp.c_proj.weight")) + W(p + "mlp.c_proj.bias");
        }
        return Norm(x, "ln_f").matmul(W("wte.weight").t()).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var t in Weights.Values) t.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
