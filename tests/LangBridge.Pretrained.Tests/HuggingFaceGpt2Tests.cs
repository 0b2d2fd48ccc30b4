using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Tests;

/// <summary>A GPT-2 folder in Hugging Face's layout loads into <see cref="GptModel"/> strictly and computes GPT-2's forward.</summary>
public class HuggingFaceGpt2Tests
{
    private static Tensor Ids(params long[] ids) => tensor(ids, dtype: ScalarType.Int64).view(1, -1);

    [Fact]
    public void Loaded_model_computes_gpt2s_forward_from_the_raw_tensors()
    {
        using var tiny = new TinyGpt2();
        using var lm = HuggingFaceGpt2.Load(tiny.Dir);
        using var ids = tensor(new long[] { 256, 1, 97, 257, 40, 41, 258, 9, 259, 120, 33, 64, 2, 3, 200, 100 }, dtype: ScalarType.Int64).view(2, 8);
        using var noGrad = no_grad();
        using var expected = tiny.ReferenceLogits(ids);
        using var actual = lm.Model.Logits(lm.Model.Embed(ids));
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-4), $"max |Δ| {(actual - expected).abs().max().item<float>()}");
        Assert.True(lm.Model.IsFrozen);
        Assert.All(lm.Model.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Reading_through_the_cache_gives_the_logits_of_reading_everything_at_once()
    {
        using var tiny = new TinyGpt2();
        using var lm = HuggingFaceGpt2.Load(tiny.Dir);
        using var noGrad = no_grad();
        using var ids = Ids(256, 1, 97, 257, 40, 41, 258, 9, 120);
        using var all = lm.Model.Logits(lm.Model.Embed(ids));
        var (first, cache) = lm.Model.Step(lm.Model.Embed(ids.narrow(1, 0, 5)), null);
        var (second, cache2) = lm.Model.Step(lm.Model.Embed(ids.narrow(1, 5, 1)), cache);
        var (third, cache3) = lm.Model.Step(lm.Model.Embed(ids.narrow(1, 6, 3)), cache2);
        Assert.Equal(9, cache3.Length);
        using var stitched = cat([first, second, third], 1);
        Assert.True(stitched.allclose(all, rtol: 1e-5, atol: 1e-5), $"max |Δ| {(stitched - all).abs().max().item<float>()}");
        cache.Dispose(); cache2.Dispose(); cache3.Dispose();
    }

    [Fact]
    public void A_key_the_attention_mask_hides_does_not_change_the_logits()
    {
        using var tiny = new TinyGpt2();
        using var lm = HuggingFaceGpt2.Load(tiny.Dir);
        using var noGrad = no_grad();
        using var ids = Ids(256, 97, 98, 40);
        using var mask = tensor(new long[] { 0, 1, 1, 1, 1 }).view(1, 5);                   // the cached first position is padding
        Tensor After(long junk, Tensor? m)
        {
            var (_, cache) = lm.Model.Step(lm.Model.Embed(Ids(junk)), null);
            var (logits, present) = lm.Model.Step(lm.Model.Embed(ids), cache, m);
            cache.Dispose(); present.Dispose();
            return logits;
        }
        using var hiddenA = After(7, mask);
        using var hiddenB = After(200, mask);
        using var seenA = After(7, null);
        using var seenB = After(200, null);
        Assert.True(hiddenA.allclose(hiddenB, rtol: 1e-5, atol: 1e-5));                     // what is hidden does not matter
        Assert.False(seenA.allclose(seenB, rtol: 1e-3, atol: 1e-3));                        // and would have, unhidden
    }

    [Fact]
    public void Saved_folder_loads_back_to_the_same_logits()
    {
        using var tiny = new TinyGpt2();
        using var lm = HuggingFaceGpt2.Load(tiny.Dir);
        var copy = Path.Combine(tiny.Dir, "copy");
        HuggingFaceGpt2.Save(copy, lm.Model, lm.Tokenizer.Vocabulary);
        using var again = HuggingFaceGpt2.Load(copy);
        using var noGrad = no_grad();
        using var ids = Ids(256, 1, 97, 257);
        Assert.True(again.Model.Logits(again.Model.Embed(ids)).allclose(lm.Model.Logits(lm.Model.Embed(ids)), rtol: 0, atol: 0));
        Assert.Equal(lm.Tokenizer.Encode(" ab a"), again.Tokenizer.Encode(" ab a"));
        Assert.Equal(new[] { 257, 256 }, again.Tokenizer.Encode(" ab a"));
    }

    [Fact]
    public void A_missing_tensor_is_named()
    {
        using var tiny = new TinyGpt2();
        tiny.WriteWeights(tiny.Weights.Where(kv => kv.Key != "transformer.h.1.mlp.c_fc.weight").ToDictionary());
        var e = Assert.Throws<PretrainedFormatException>(() => HuggingFaceGpt2.Load(tiny.Dir));
        Assert.Contains("h.1.mlp.c_fc.weight", e.Message);
    }

    [Fact]
    public void A_wrong_shape_is_named_in_huggingfaces_layout()
    {
        using var tiny = new TinyGpt2();
        var weights = new Dictionary<string, Tensor>(tiny.Weights) { ["transformer.h.0.attn.c_proj.weight"] = zeros(TinyGpt2.Width, TinyGpt2.Width + 1) };
        tiny.WriteWeights(weights);
        var e = Assert.Throws<PretrainedFormatException>(() => HuggingFaceGpt2.Load(tiny.Dir));
        Assert.Contains("h.0.attn.c_proj.weight", e.Message);
        Assert.Contains("[32, 33]", e.Message);
    }

    [Theory]
    [InlineData("\"activation_function\": \"relu\"", "activation_function")]
    [InlineData("\"tie_word_embeddings\": false", "tie_word_embeddings")]
    [InlineData("\"model_type\": \"gpt_neo\"", "model_type")]
    [InlineData("\"scale_attn_by_inverse_layer_idx\": true", "scale_attn_by_inverse_layer_idx")]
    public void Unsupported_configurations_are_refused(string setting, string key)
    {
        using var tiny = new TinyGpt2();
        var config = File.ReadAllText(Path.Combine(tiny.Dir, "config.json"));
        var name = setting.Split(':')[0];
        // Replace the key when the base config has it, else add it.
        config = config.Contains(name) ? System.Text.RegularExpressions.Regex.Replace(config, name + @":\s*""[^""]*""", setting) : config.TrimEnd('}') + ", " + setting + "}";
        File.WriteAllText(Path.Combine(tiny.Dir, "config.json"), config);
        var e = Assert.Throws<PretrainedFormatException>(() => HuggingFaceGpt2.Load(tiny.Dir));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void A_missing_merges_file_is_named()
    {
        using var tiny = new TinyGpt2();
        File.Delete(Path.Combine(tiny.Dir, "merges.txt"));
        var e = Assert.Throws<PretrainedFormatException>(() => HuggingFaceGpt2.Load(tiny.Dir));
        Assert.Contains("merges.txt", e.Message);
    }

    [Fact]
    public void Longer_than_the_context_is_a_clear_error()
    {
        using var tiny = new TinyGpt2();
        using var lm = HuggingFaceGpt2.Load(tiny.Dir);
        using var ids = zeros(1, TinyGpt2.Positions + 1, dtype: ScalarType.Int64);
        var e = Assert.Throws<ArgumentException>(() => lm.Model.Logits(lm.Model.Embed(ids)));
        Assert.Contains("context of 24", e.Message);
    }
}
