using LangBridge.Data;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Tests;

/// <summary>
/// A tiny BERT (2 layers, hidden 32, 4 heads, FFN 64) written by the test in Hugging Face's folder
/// layout, loaded into <see cref="BertEncoder"/>, and compared with a forward written here from the
/// raw tensors with functional ops, so a tensor landing in the wrong place shows.
/// </summary>
public sealed class HuggingFaceBertTests : IDisposable
{
    private const int Vocab = 40, Hidden = 32, Layers = 2, Heads = 4, Ffn = 64, Positions = 16;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "langbridge-hf-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, Tensor> _weights = new();

    public HuggingFaceBertTests()
    {
        Directory.CreateDirectory(_dir);
        var gen = new Generator(11);
        void Add(string name, params long[] shape) => _weights[name] = randn(shape, generator: gen) * 0.2f;
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
        WriteWeights(_weights);
        WriteConfig("""{"model_type": "bert", "hidden_act": "gelu", "position_embedding_type": "absolute"}""");
        File.WriteAllLines(Path.Combine(_dir, "vocab.txt"),
            ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(0, Vocab - 5).Select(i => $"w{i}")]);
    }

    private void WriteWeights(IReadOnlyDictionary<string, Tensor> weights) =>
        Safetensors.WriteFile(Path.Combine(_dir, "model.safetensors"),
            weights.Select(kv => SafeTensor.Float32(kv.Key, kv.Value.shape, kv.Value.contiguous().data<float>().ToArray())));

    private void WriteConfig(string extra)
    {
        var baseJson = $$"""{"vocab_size": {{Vocab}}, "hidden_size": {{Hidden}}, "num_hidden_layers": {{Layers}}, "num_attention_heads": {{Heads}}, "intermediate_size": {{Ffn}}, "max_position_embeddings": {{Positions}}, "type_vocab_size": 2, "layer_norm_eps": 1e-12""";
        var inner = extra.Trim().TrimStart('{').TrimEnd('}').Trim();
        File.WriteAllText(Path.Combine(_dir, "config.json"), baseJson + (inner.Length > 0 ? ", " + inner : "") + "}");
    }

    /// <summary>BERT's forward from the raw Hugging Face tensors, independent of BertEncoder.</summary>
    private Tensor Reference(Tensor ids, Tensor mask)
    {
        Tensor W(string n) => _weights["bert." + n];
        Tensor Lin(Tensor x, string n) => nn.functional.linear(x, W(n + ".weight"), W(n + ".bias"));
        Tensor Ln(Tensor x, string n) => nn.functional.layer_norm(x, [Hidden], W(n + ".weight"), W(n + ".bias"), 1e-12);
        long b = ids.shape[0], s = ids.shape[1];
        var x = W("embeddings.word_embeddings.weight").index_select(0, ids.flatten()).view(b, s, Hidden)
            + W("embeddings.position_embeddings.weight")[..(int)s] + W("embeddings.token_type_embeddings.weight")[0];
        x = Ln(x, "embeddings.LayerNorm");
        var ext = (1 - mask.to_type(ScalarType.Float32)).view(b, 1, 1, s) * -10000f;
        int dh = Hidden / Heads;
        for (int i = 0; i < Layers; i++)
        {
            var p = $"encoder.layer.{i}.";
            Tensor H(Tensor t) => t.view(b, s, Heads, dh).permute(0, 2, 1, 3);
            var att = (H(Lin(x, p + "attention.self.query")).matmul(H(Lin(x, p + "attention.self.key")).transpose(-1, -2)) / MathF.Sqrt(dh) + ext).softmax(-1);
            var ctx = att.matmul(H(Lin(x, p + "attention.self.value"))).permute(0, 2, 1, 3).reshape(b, s, Hidden);
            var h = Ln(Lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm");
            var f = Lin(nn.functional.gelu(Lin(h, p + "intermediate.dense")), p + "output.dense");
            x = Ln(f + h, p + "output.LayerNorm");
        }
        return x;
    }

    [Fact]
    public void TinyBert_LoadsStrictly_AndMatchesAnIndependentForward()
    {
        var m = HuggingFaceBert.Load(_dir);
        Assert.Equal((Layers, Hidden, Heads, Ffn), (m.Config.Layers, m.Config.HiddenSize, m.Config.Heads, m.Config.IntermediateSize));
        Assert.False(m.Config.HasPooler);
        Assert.All(m.Encoder.parameters(), p => Assert.False(p.requires_grad));
        Assert.False(m.Encoder.training);
        using var ids = tensor(new long[] { 2, 7, 9, 11, 3, 0, 2, 5, 3, 0, 0, 0 }, 2, 6);
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0 }, 2, 6);
        using var noGrad = no_grad();
        using var ours = m.Encoder.call(ids, mask);
        using var theirs = Reference(ids, mask);
        Assert.Equal(new long[] { 2, 6, Hidden }, ours.shape);
        var maxAbs = (ours - theirs).abs().max().item<float>();
        Assert.True(maxAbs < 1e-5f, $"max abs difference {maxAbs}");
    }

    [Theory]
    [InlineData("""{"hidden_act": "gelu_new"}""", "hidden_act")]
    [InlineData("""{"hidden_act": "relu"}""", "hidden_act")]
    [InlineData("""{"position_embedding_type": "relative_key"}""", "position_embedding_type")]
    [InlineData("""{"model_type": "roberta"}""", "model_type")]
    [InlineData("""{"is_decoder": true}""", "is_decoder")]
    public void UnsupportedConfig_FailsNamingTheKey(string extra, string key)
    {
        WriteConfig(extra);
        var e = Assert.Throws<PretrainedFormatException>(() => HuggingFaceBert.Load(_dir));
        Assert.Equal(key, e.Item);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void MissingTensor_FailsNamingIt()
    {
        var w = new Dictionary<string, Tensor>(_weights);
        w.Remove("bert.encoder.layer.1.attention.self.value.weight");
        WriteWeights(w);
        var e = Assert.Throws<PretrainedFormatException>(() => HuggingFaceBert.Load(_dir));
        Assert.Equal("encoder.layer.1.attention.self.value.weight", e.Item);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void WrongShape_FailsNamingIt()
    {
        var w = new Dictionary<string, Tensor>(_weights) { ["bert.encoder.layer.0.intermediate.dense.weight"] = zeros(Ffn + 1, Hidden) };
        WriteWeights(w);
        var e = Assert.Throws<PretrainedFormatException>(() => HuggingFaceBert.Load(_dir));
        Assert.Equal("encoder.layer.0.intermediate.dense.weight", e.Item);
        Assert.Contains("[65, 32]", e.Message);
    }

    [Fact]
    public void MissingFile_FailsNamingIt()
    {
        File.Delete(Path.Combine(_dir, "vocab.txt"));
        var e = Assert.Throws<PretrainedFormatException>(() => HuggingFaceBert.Load(_dir));
        Assert.Equal("vocab.txt", e.Item);
    }

    public void Dispose()
    {
        foreach (var t in _weights.Values) t.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
