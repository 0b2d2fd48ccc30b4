using LangBridge.Runtime;
using LangBridge.Training.Captions;
using LangBridge.Training.Limber;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Tests.Limber;
using LangBridge.Training.Vlap;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests.Vlap;

/// <summary>
/// VLAP in the tiny LiMBeR setting: the assignment term trains alongside captioning, the report measures VLAP's
/// bridges and the LiMBeR twin's the same way, and the bundle serves captions and nearest words like TorchSharp.
/// </summary>
public sealed class VlapModelTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lb-vlap-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static VlapRecipe Recipe(int steps, double weight = 0.1) => VlapRecipe.Parse($$"""
        { "name": "vlap-test", "kind": "vlap", "limber": "limber.json", "seed": 3,
          "training": { "steps": {{steps}}, "batchSize": 16, "learningRate": 0.03, "warmupSteps": 5, "checkpointEvery": 100, "logEvery": 10 },
          "assignment": { "weight": {{weight}}, "temperature": 0.05 }, "evaluation": { "nearestWords": 4 } }
        """, "test");

    /// <summary>VLAP and its trained LiMBeR twin over one LM; the prior counted from the LM's corpus.</summary>
    private VlapKindModel Build(VlapRecipe recipe, bool withBundleEncoder = false)
    {
        var limber = TinyLimber.Recipe(recipe.Training.Steps);
        var captions = new CaptionBuilder(TinyLimber.Classes, CaptionTemplates.Continuations);
        var lm = TinyLimber.LanguageModel(captions, dir);
        var twin = TinyLimber.Build(limber, dir, lm: lm);
        TinyLimber.Train(twin, dir);
        var shared = TinyLimber.Build(limber with { Name = recipe.Name }, dir, withBundleEncoder, lm);
        var prior = WordPrior.Count(TinyLimber.Texts(captions), lm.Item2, "test corpus");
        recipe.RequireSameBudget(limber);
        return new VlapKindModel(recipe, limber, shared, prior) { LimberTwinFactory = () => twin };
    }

    [Fact]
    public void Vlap_bridges_are_measured_beside_their_limber_twins_and_the_informative_encoder_finds_its_class_words()
    {
        var recipe = Recipe(200);
        using var model = Build(recipe);
        TinyLimber.Train(model, dir);
        var report = (VlapReport)VlapEvaluator.Evaluate(model, new Kinds.KindContext(dir), Path.Combine(dir, "report"), null).Metrics;

        Assert.Equal(["clippo", "random"], report.Encoders.Keys.Order());
        var informative = report.Encoders["clippo"];
        var noise = report.Encoders["random"];
        Assert.NotNull(informative.Limber);
        Assert.Null(informative.Limber!.Limber);
        // The mapped vector of an informative feature lies nearest its class name's embedding; noise's is near chance (1/4).
        Assert.True(informative.ZeroShotAccuracy > noise.ZeroShotAccuracy + 0.3, $"zero-shot {informative.ZeroShotAccuracy} vs noise {noise.ZeroShotAccuracy}");
        Assert.True(informative.ImageToTextR5 >= informative.ImageToTextR1 && informative.TextToImageR5 >= informative.TextToImageR1);
        Assert.True(informative.ImageToTextR1 > noise.ImageToTextR1, $"i2t R@1 {informative.ImageToTextR1} vs noise {noise.ImageToTextR1}");
        Assert.Equal(2 * 2 * 4 * 3, report.ArithmeticQueries);                               // 2 attributes × 2 directions × 4·3 class pairs
        Assert.InRange(informative.ArithmeticAccuracy, 0, 1);
        Assert.Equal(4, informative.NearestWords["shirt"].Length);
        Assert.Equal("captioned by this evaluation", report.LimberCaptionsFrom);
        Assert.True(File.Exists(Path.Combine(dir, "report", VlapEvaluator.WordsSheetFile)));
        Assert.Contains("LiMBeR", File.ReadAllText(Path.Combine(dir, "report", VlapEvaluator.WordsFile)));
    }

    [Fact]
    public void The_assignment_term_moves_the_bridges_and_a_zero_weight_leaves_limbers_step()
    {
        // Same seed, batches and captions: with weight 0 VLAP trains exactly LiMBeR's bridges.
        using var zero = Build(Recipe(20, weight: 0));
        TinyLimber.Train(zero, dir);
        var limberWeights = zero.LimberTwin!.Model.Bridge(LimberEncoder.Clippo).parameters().First();
        var vlapWeights = zero.Shared.Model.Bridge(LimberEncoder.Clippo).parameters().First();
        Assert.True(vlapWeights.allclose(limberWeights, atol: 1e-6), "weight 0 must train LiMBeR's bridge");

        using var weighted = Build(Recipe(20, weight: 0.5));
        TinyLimber.Train(weighted, dir);
        var moved = weighted.Shared.Model.Bridge(LimberEncoder.Clippo).parameters().First();
        Assert.False(moved.allclose(weighted.LimberTwin!.Model.Bridge(LimberEncoder.Clippo).parameters().First(), atol: 1e-4));
    }

    [Fact]
    public void Bundle_verifies_captions_with_the_captioner_and_ranks_words_like_torchsharp()
    {
        var recipe = Recipe(40);
        using var model = Build(recipe, withBundleEncoder: true);
        TinyLimber.Train(model, dir);
        var export = BundleExporter.Export(model, Path.Combine(dir, "bundle"));
        Assert.Contains(VlapBundle.WordsRole, export.Graphs.Keys);
        Assert.Equal(BundleKinds.Vlap, export.Manifest.Kind);
        var report = BundleVerifier.Verify(model, export, model.PlanVerification(new Kinds.KindContext(dir), 20));
        Assert.True(report.Passed, report.ToJson());

        using var captioner = Captioner.Open(Path.Combine(dir, "bundle"));
        Assert.NotEmpty(captioner.Describe(new PixelImage(28, 28, 1, model.Shared.Test.Image(0).ToArray()), SamplingOptions.Greedy with { MaxTokens = 4 }).TokenIds);

        using var ranker = ImageToWords.Open(Path.Combine(dir, "bundle"));
        var encoder = model.Shared.BundleEncoder!;
        var images = Enumerable.Range(0, 6).Select(i => new PixelImage(28, 28, 1, model.Shared.Test.Image(i).ToArray())).ToArray();
        var words = ranker.Words(images, 5);
        using var noGrad = no_grad();
        using var pixels = tensor(model.Shared.Test.Pixels.AsSpan(0, 6 * 784).ToArray()).view(6, 1, 28, 28).to_type(ScalarType.Float32).div(255f).sub(encoder.Mean).div(encoder.Std);
        using var scores = model.Words.call(model.Shared.Model.Bridge(LimberEncoder.Clippo).call(encoder.Module.call(pixels)));   // (6, V)
        var expected = scores.topk(5).indexes.data<long>().ToArray();
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(expected.Skip(i * 5).Take(5).Select(id => (int)id), words[i].Select(w => w.TokenId));
            Assert.Equal(scores[i, words[i][0].TokenId].item<float>(), words[i][0].Score, 4);
            Assert.Equal(model.Shared.Model.Tokenizer.Decode([words[i][0].TokenId]).Trim(), words[i][0].Word);
        }
        Assert.Throws<InputShapeException>(() => ranker.Words(new PixelImage(14, 14, 1, new byte[196])));
    }

    [Fact]
    public void A_budget_other_than_limbers_is_refused()
    {
        var limber = TinyLimber.Recipe(50);
        Assert.Throws<Recipes.RecipeException>(() => Recipe(60).RequireSameBudget(limber));
        Assert.Throws<Recipes.RecipeException>(() => (Recipe(50) with { Seed = 4 }).RequireSameBudget(limber));
        Recipe(50).RequireSameBudget(limber);
    }

    [Theory]
    [InlineData("\"assignment\": { \"epsilon\": 0 }", "assignment.epsilon")]
    [InlineData("\"assignment\": { \"iterations\": 0 }", "assignment.iterations")]
    [InlineData("\"assignment\": { \"prior\": \"zipf\" }", "prior")]
    [InlineData("\"limber\": \"\"", "limber")]
    public void Bad_recipes_name_the_key(string section, string key)
    {
        var e = Assert.Throws<Recipes.RecipeException>(() => VlapRecipe.Parse($$"""{ "name": "x", "kind": "vlap", {{section}} }""", "bad.json"));
        Assert.Contains(key, e.Message);
    }
}
