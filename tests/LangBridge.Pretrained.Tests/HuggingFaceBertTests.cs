using LangBridge.Data;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Tests;

/// <summary>
/// A tiny BERT (2 layers, hidden 32, 4 heads, FFN 64) written by <see cref="TinyHuggingFaceBert"/> in Hugging Face's folder
/// layout, loaded into <see cref="BertEncoder"/>, and compared with a forward written here from the
/// raw tensors with functional ops, so a tensor landing in the wrong place shows.
/// </summary>
public sealed class HuggingFaceBertTests : IDisposable
{
    private const int Vocab = TinyHuggingFaceBert.Vocab, Hidden = TinyHuggingFaceBert.Hidden, Layers = TinyHuggingFaceBert.Layers,
        Heads = TinyHuggingFaceBert.Heads, Ffn = TinyHuggingFaceBert.Ffn;
    private readonly TinyHuggingFaceBert _bert = new();
    private string _dir => _bert.Dir;
    private Dictionary<string, Tensor> _weights => _bert.Weights;
    private void WriteWeights(IReadOnlyDictionary<string, Tensor> weights) => _bert.WriteWeights(weights);
    private void WriteConfig(string extra) => _bert.WriteConfig(extra);

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

    public void Dispose() => _bert.Dispose();
}
