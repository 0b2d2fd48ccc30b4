using LangBridge.Data;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using LangBridge.Training.Captions;
using LangBridge.Training.Language;
using LangBridge.Training.Limber;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests.Limber;

/// <summary>
/// LiMBeR's bridge on a tiny LM pretrained here on caption text: only the bridge learns, only caption tokens are
/// scored, and a bridge fed features that carry the class and attributes captions better than one fed noise.
/// </summary>
public sealed class LimberModelTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lb-limber-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly ClassWords[] Classes = TinyLimber.Classes;

    private static LimberRecipe Recipe(int steps) => TinyLimber.Recipe(steps);

    private LimberKindModel Build(LimberRecipe recipe, bool withBundleEncoder = false) => TinyLimber.Build(recipe, dir, withBundleEncoder);

    [Fact]
    public void Targets_score_the_caption_and_its_end_of_text_only()
    {
        var recipe = Recipe(10);
        using var model = Build(recipe);
        using var targets = model.Model.Targets(["a dark shirt.", "a light, large sandal."]);
        var tokenizer = model.Model.Tokenizer;
        int first = tokenizer.Encode(" a dark shirt.").Length, second = tokenizer.Encode(" a light, large sandal.").Length;
        Assert.Equal(Math.Max(first, second) + 1, targets.Ids.shape[1]);
        var weights = targets.Weights.data<float>().ToArray();
        int c = (int)targets.Ids.shape[1];
        Assert.Equal(first + 1, weights.Take(c).Sum());                                           // caption + end of text
        Assert.Equal(second + 1, weights.Skip(c).Sum());
        Assert.Equal(tokenizer.EndOfTextId, targets.Ids[0, first].item<long>());
    }

    [Fact]
    public void Only_the_bridges_learn_and_the_informative_encoder_captions_better_than_noise()
    {
        var recipe = Recipe(300);
        using var model = Build(recipe);
        var lmBefore = model.Model.Lm.parameters().Select(p => p.detach().clone()).ToArray();
        Assert.All(model.Model.Lm.parameters(), p => Assert.False(p.requires_grad));
        TinyLimber.Train(model, dir);
        Assert.All(model.Model.Lm.parameters().Zip(lmBefore), p => Assert.True(p.First.equal(p.Second).all().item<bool>()));

        var report = LimberEvaluator.Evaluate(model, null, null, Path.Combine(dir, "captions.png"), Path.Combine(dir, "captions.txt"));
        var informative = report.Encoders["clippo"];
        var noise = report.Encoders["random"];
        Assert.True(informative.ClassAccuracy > noise.ClassAccuracy + 0.3, $"class {informative.ClassAccuracy} vs noise {noise.ClassAccuracy}");
        Assert.True(informative.AttributeAccuracy > noise.AttributeAccuracy, $"attributes {informative.AttributeAccuracy} vs noise {noise.AttributeAccuracy}");
        Assert.True(informative.HeldOutCaptionPerplexity < noise.HeldOutCaptionPerplexity);
        Assert.True(informative.HeldOutCaptionPerplexity < report.TextOnlyCaptionPerplexity);
        Assert.True(File.Exists(Path.Combine(dir, "captions.png")));
        Assert.Contains("A picture of", File.ReadAllText(Path.Combine(dir, "captions.txt")));
    }

    [Fact]
    public void Captioning_bundle_exports_verifies_and_captions_like_torchsharp()
    {
        var recipe = Recipe(40);
        using var model = Build(recipe, withBundleEncoder: true);
        TinyLimber.Train(model, dir);
        var export = BundleExporter.Export(model, Path.Combine(dir, "bundle"));
        Assert.Equal([LimberBundle.BridgeRole, LimberBundle.EncoderRole, LimberBundle.LanguageModelRole, LimberBundle.EmbeddingsRole], export.Graphs.Keys.Order());
        var report = BundleVerifier.Verify(model, export, model.PlanVerification(new Kinds.KindContext(dir), 40));
        Assert.True(report.Passed, report.ToJson());
        Assert.Equal(40, report.Checks["greedy_captions"].Numbers["identical"]);
        Assert.True(File.Exists(Path.Combine(dir, "bundle", LimberBundle.CaptionerFile)));
        var vocabulary = BytePairVocabulary.Parse(File.ReadAllText(Path.Combine(dir, "bundle", LimberBundle.VocabFile)), File.ReadAllText(Path.Combine(dir, "bundle", LimberBundle.MergesFile)));
        Assert.Equal(model.Model.Tokenizer.Encode(" a dark shirt."), new BytePairTokenizer(vocabulary).Encode(" a dark shirt."));

        // The runtime's Captioner writes TorchSharp's greedy captions, streams exactly its text, and samples by seed.
        using var captioner = Captioner.Open(Path.Combine(dir, "bundle"));
        Assert.Equal(recipe.Prompt, captioner.Settings.Prompt);
        var options = SamplingOptions.Greedy with { MaxTokens = recipe.Evaluation.MaxTokens };
        for (int i = 0; i < 5; i++)
        {
            var image = new PixelImage(28, 28, 1, model.Test.Image(i).ToArray());
            var pieces = new List<string>();
            var caption = captioner.Describe(image, options, pieces.Add);
            using var noGrad = no_grad();
            using var pixels = tensor(model.Test.Image(i).ToArray()).view(1, 1, 28, 28).to_type(ScalarType.Float32).div(255f).sub(0.5f).div(0.5f);
            var expected = GptGenerator.Generate(model.Model.Lm, model.Model.Prefix(LimberEncoder.Clippo, model.BundleEncoder!.Module.call(pixels)), options, model.Model.Tokenizer.EndOfTextId)[0];
            Assert.Equal(expected, caption.TokenIds.ToArray());
            Assert.Equal(caption.Text, string.Concat(pieces));
            var sampled = SamplingOptions.Nucleus(7) with { Temperature = 1.5f, MaxTokens = 8 };
            Assert.Equal(captioner.Describe(image, sampled).TokenIds.ToArray(), captioner.Describe(image, sampled).TokenIds.ToArray());
        }
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => captioner.Describe(new PixelImage(28, 28, 1, new byte[784]), options, null, cancelled.Token));
        Assert.Throws<InputShapeException>(() => captioner.Describe(new PixelImage(14, 14, 1, new byte[196])));
    }

    [Theory]
    [InlineData("\"data\": { \"dataset\": \"\" }", "data.dataset")]
    [InlineData("\"data\": { \"imageSize\": 32 }", "data.imageSize")]
    [InlineData("\"lm\": { \"recipe\": \"a.json\", \"folder\": \"b\" }", "lm")]
    [InlineData("\"encoders\": [\"lqae\", \"lqae\"]", "encoders")]
    [InlineData("\"encoders\": [\"beit\"]", "encoders")]
    [InlineData("\"bridge\": { \"tokens\": 0 }", "bridge.tokens")]
    [InlineData("\"evaluation\": { \"maxTokens\": 500 }", "evaluation.maxTokens")]
    public void Bad_recipes_name_the_key(string section, string key)
    {
        var e = Assert.Throws<Recipes.RecipeException>(() => LimberRecipe.Parse($$"""{ "name": "x", "kind": "limber", {{section}} }""", "bad.json"));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Continuation_templates_state_every_attribute_and_hold_out_their_own_phrasings()
    {
        var t = CaptionTemplates.Continuations;
        Assert.Empty(t.Train.Intersect(t.HeldOut));
        Assert.All(t.Train.Concat(t.HeldOut), s => Assert.True(s.Contains("{n}") && s.Contains("{b}") && s.Contains("{s}"), s));
        var builder = new CaptionBuilder(Classes, t);
        Assert.Equal(t.HeldOut.Count, builder.References(0, new ImageAttributes("dark", "small")).Count);
        Assert.All(builder.References(0, new ImageAttributes("dark", "small")), r => Assert.Contains("shirt", r));
    }
}
