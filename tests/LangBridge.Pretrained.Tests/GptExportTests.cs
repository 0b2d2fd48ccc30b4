using LangBridge.Onnx.Checking;
using LangBridge.Onnx.Parity;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Tests;

/// <summary>
/// The exported decoding graph (embeddings, attention mask and past keys/values in; logits and present keys/values out)
/// against <see cref="GptModel.Step"/>: a prompt read from an empty cache, then tokens one at a time through the
/// graph's own presents, and a padded batch.
/// </summary>
public class GptExportTests
{
    private const float Atol = 1e-4f, Rtol = 1e-4f;

    private static Tensor Ids(params long[] ids) => tensor(ids, dtype: ScalarType.Int64).view(1, -1);

    private static void AssertClose(Tensor expected, OrtOutput actual, string what)
    {
        Assert.Equal(expected.shape, actual.Shape);
        using var got = tensor(actual.Floats!).view(actual.Shape);
        Assert.True(got.allclose(expected, rtol: Rtol, atol: Atol), $"{what}: max |Δ| {(got - expected).abs().max().item<float>()}");
    }

    [Theory]
    [InlineData(GraphOptimizationLevel.ORT_DISABLE_ALL)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_ALL)]
    public void Graph_matches_step_from_an_empty_cache_and_through_its_own_presents(GraphOptimizationLevel level)
    {
        using var tiny = new TinyGpt2();
        using var lm = HuggingFaceGpt2.Load(tiny.Dir);
        var model = lm.Model;
        using var ort = new OrtRunner(model.ExportOnnx().ToBytes(), level, "language_model");
        Assert.Equal(model.OnnxOutputs(), ort.OutputNames);
        using var noGrad = no_grad();
        using var prompt = model.Embed(tensor(new long[] { 256, 1, 97, 257, 40, 41, 258, 9, 120, 33 }, dtype: ScalarType.Int64).view(2, 5));   // (2, 5, D)
        int h = model.Config.Heads, dh = model.Config.HeadSize;
        var empty = Enumerable.Range(0, 2 * model.Config.Layers).Select(_ => zeros(2, h, 0, dh)).ToList();
        var outs = ort.Run([prompt, ones(2, 5, dtype: ScalarType.Int64), .. empty]);
        var (logits, cache) = model.Step(prompt, null);
        AssertClose(logits, outs[0], "prompt logits");
        for (int i = 0; i < model.Config.Layers; i++)
        {
            AssertClose(cache.Layers[i].Keys, outs[1 + 2 * i], $"present {i} keys");
            AssertClose(cache.Layers[i].Values, outs[2 + 2 * i], $"present {i} values");
        }
        // Two more tokens, one at a time, each time feeding the graph its own presents.
        for (int t = 0; t < 2; t++)
        {
            using var next = model.Embed(tensor(new long[] { 7 + t, 100 + t }, dtype: ScalarType.Int64).view(2, 1));
            var past = outs.Skip(1).Select(o => tensor(o.Floats!).view(o.Shape)).ToList();
            outs = ort.Run([next, ones(2, 6 + t, dtype: ScalarType.Int64), .. past]);
            var (stepLogits, stepCache) = model.Step(next, cache);
            AssertClose(stepLogits, outs[0], $"step {t} logits");
            Assert.Equal(6L + t, outs[1].Shape[2]);
            cache.Dispose();
            cache = stepCache;
        }
        cache.Dispose();
    }

    [Fact]
    public void Padding_in_the_attention_mask_matches_the_model()
    {
        using var tiny = new TinyGpt2();
        using var lm = HuggingFaceGpt2.Load(tiny.Dir);
        var model = lm.Model;
        using var ort = new OrtRunner(model.ExportOnnx().ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, "language_model");
        using var noGrad = no_grad();
        using var x = model.Embed(tensor(new long[] { 256, 1, 97, 257, 40, 41 }, dtype: ScalarType.Int64).view(2, 3));
        using var mask = tensor(new long[] { 1, 1, 1, 0, 1, 1 }, dtype: ScalarType.Int64).view(2, 3);   // the second row's first position is padding
        var empty = Enumerable.Range(0, 2 * model.Config.Layers).Select(_ => zeros(2, model.Config.Heads, 0, model.Config.HeadSize)).ToList();
        var outs = ort.Run([x, mask, .. empty]);
        var (logits, cache) = model.Step(x, null, mask);
        AssertClose(logits, outs[0], "masked logits");
        cache.Dispose();
    }

    [Fact]
    public void Graph_passes_the_onnx_checker_with_its_symbolic_dimensions()
    {
        using var tiny = new TinyGpt2();
        using var lm = HuggingFaceGpt2.Load(tiny.Dir);
        var export = lm.Model.ExportOnnx();
        Assert.Equal(["batch", "sequence", "32"], export.Inputs[0].Shape.Select(d => d.ToString()));
        Assert.Equal("past_sequence", export.Inputs[2].Shape[2].ToString());
        Assert.Equal("total_sequence", export.Outputs[1].Shape[2].ToString());
        var file = Path.Combine(Path.GetTempPath(), "langbridge-gpt-" + Guid.NewGuid().ToString("N") + ".onnx");
        try
        {
            File.WriteAllBytes(file, export.ToBytes());
            var (_, results) = OnnxPythonChecker.Check([file]);                             // fails (never skips) without the checker
            Assert.True(results.Single().Passed, results.Single().Error);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
