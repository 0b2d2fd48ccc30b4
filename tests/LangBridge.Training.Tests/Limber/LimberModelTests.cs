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

    private static readonly ClassWords[] Classes =
        [new("shirt", [], [], ""), new("dress", [], [], ""), new("sandal", [], [], ""), new("coat", [], [], "")];

    private static LimberRecipe Recipe(int steps) => LimberRecipe.Parse($$"""
        { "name": "limber-test", "kind": "limber", "seed": 3, "encoders": ["random", "clippo"], "bundle": { "encoder": "clippo" }, "data": { "trainLimit": 0 },
          "training": { "steps": {{steps}}, "batchSize": 16, "learningRate": 0.03, "warmupSteps": 5, "checkpointEvery": 100, "logEvery": 10 },
          "evaluation": { "testLimit": 40, "maxTokens": 16, "sheetImages": 4 } }
        """, "test");

    /// <summary>A frozen 2-layer LM pretrained on every caption the templates can make, and its tokenizer.</summary>
    private (GptModel, BytePairTokenizer) LanguageModel(CaptionBuilder captions)
    {
        var texts = new List<string>();
        for (int c = 0; c < Classes.Length; c++)
            foreach (var b in new[] { "dark", "light" })
                foreach (var s in new[] { "small", "large" })
                    for (int v = 0; v < 12; v++) texts.Add("A picture of " + captions.Caption(c, new ImageAttributes(b, s), v % 2 == 0 ? CaptionSplit.Train : CaptionSplit.HeldOut, v));
        var lmRecipe = GptRecipe.Parse("""
            { "name": "lm", "kind": "gpt", "tokenizer": { "vocabularySize": 300 }, "model": { "width": 32, "layers": 2, "heads": 4, "context": 32 },
              "training": { "steps": 150, "batchSize": 16, "learningRate": 0.01, "warmupSteps": 5, "checkpointEvery": 150, "logEvery": 50 },
              "evaluation": { "sampleTokens": 8 } }
            """, "lm");
        var corpus = new TextCorpus(texts, texts.Take(4).ToArray());
        var tokenizer = new BytePairTokenizer(BytePairTrainer.Train(texts, 300));
        manual_seed(7);
        var lm = new GptKindModel(lmRecipe, corpus, tokenizer);
        using var task = lm.CreateTrainingTask(new Kinds.KindContext(dir));
        new Trainer(lm.TrainingPlan, 7, lm.Module, task, lm.Identity).Train(new TrainerOptions(Path.Combine(dir, "lm.lbck"), Path.Combine(dir, "lm.jsonl")));
        return (lm.Model.Frozen(), tokenizer);
    }

    private static ImageDataset Images(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 28 * 28];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = random.Next(Classes.Length);
            int ink = random.Next(2) == 0 ? 60 : 230, extent = random.Next(2) == 0 ? 8 : 22;     // dark/light, small/large
            for (int y = 0; y < extent; y++) for (int x = 0; x < extent; x++) pixels[i * 784 + y * 28 + x] = (byte)ink;
        }
        return new ImageDataset(1, 28, 28, pixels, labels, Classes.Select(c => c.Name).ToArray());
    }

    /// <summary>Informative features (class one-hot, brightness, size, the images' own numbers) for one encoder, noise for the other.</summary>
    private static EncoderFeatureSet[] Features(ImageDataset train, ImageDataset test, ImageAttributes[] trainA, ImageAttributes[] testA)
    {
        float[] Informative(ImageDataset d, ImageAttributes[] a) => Enumerable.Range(0, d.Count).SelectMany(i =>
            Enumerable.Range(0, Classes.Length).Select(c => c == d.Labels[i] ? 1f : 0f).Concat([a[i].Brightness == "light" ? 1f : 0f, a[i].Size == "large" ? 1f : 0f])).ToArray();
        var random = new Random(5);
        float[] Noise(int n) => Enumerable.Range(0, n * 6).Select(_ => (float)random.NextDouble()).ToArray();
        return [new EncoderFeatureSet(LimberEncoder.Clippo, Informative(train, trainA), Informative(test, testA), 6, "informative"),
                new EncoderFeatureSet(LimberEncoder.Random, Noise(train.Count), Noise(test.Count), 6, "noise")];
    }

    private LimberKindModel Build(LimberRecipe recipe, bool withBundleEncoder = false)
    {
        var captions = new CaptionBuilder(Classes, CaptionTemplates.Continuations);
        var (lm, tokenizer) = LanguageModel(captions);
        var train = Images(400, 1);
        var test = Images(40, 2);
        var meter = AttributeMeter.Fit(train.Pixels, train.Count, train.ImageSize);
        var trainA = Enumerable.Range(0, train.Count).Select(i => meter.Attributes(train.Image(i))).ToArray();
        var testA = Enumerable.Range(0, test.Count).Select(i => meter.Attributes(test.Image(i))).ToArray();
        // The bundle's encoder: any frozen module from a normalised image to the 6 features the bridge reads.
        manual_seed(11);
        var module = nn.Sequential(("flatten", nn.Flatten()), ("linear", nn.Linear(28 * 28, 6)));
        module.eval();
        return new LimberKindModel(recipe, lm, tokenizer, "test lm", Features(train, test, trainA, testA), train, test, captions)
        {
            BundleEncoderFactory = () => withBundleEncoder ? new EncoderFeatures.PooledEncoder(module, 0.5f, 0.5f, module) : null,
        };
    }

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
        using (var task = model.CreateTrainingTask(new Kinds.KindContext(dir)))
            new Trainer(model.TrainingPlan, recipe.Seed, model.Module, task, model.Identity).Train(new TrainerOptions(Path.Combine(dir, "limber.lbck"), Path.Combine(dir, "limber.jsonl")));
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
        using (var task = model.CreateTrainingTask(new Kinds.KindContext(dir)))
            new Trainer(model.TrainingPlan, recipe.Seed, model.Module, task, model.Identity).Train(new TrainerOptions(Path.Combine(dir, "limber.lbck"), Path.Combine(dir, "limber.jsonl")));
        model.Module.eval();
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
