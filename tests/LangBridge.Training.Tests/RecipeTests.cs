using LangBridge.Training.Recipes;

namespace LangBridge.Training.Tests;

public sealed class RecipeTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lb-recipe-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(dir, "r.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void TheShippedRecipesLoadAndValidate()
    {
        var models = Path.Combine(TestPaths.RepositoryRoot, "models");
        var recipes = Directory.GetFiles(models, "lqae-*.json");
        Assert.NotEmpty(recipes);
        foreach (var file in recipes)
        {
            var recipe = LqaeRecipe.Load(file);
            Assert.Equal(Path.GetFileNameWithoutExtension(file), recipe.Name);
        }
    }

    [Fact]
    public void UnknownKeyIsNamed()
    {
        var e = Assert.Throws<RecipeException>(() => LqaeRecipe.Load(Write("""{ "name": "x", "training": { "stepz": 5 } }""")));
        Assert.Contains("stepz", e.Message);
        Assert.Contains("training", e.Key);
    }

    [Fact]
    public void ImageSizeNotDivisibleByDownsamplingIsRejectedBeforeTraining()
    {
        var e = Assert.Throws<RecipeException>(() => LqaeRecipe.Load(Write("""{ "name": "x", "data": { "imageSize": 30 }, "encoder": { "downsample": 4 } }""")));
        Assert.Equal("encoder.downsample", e.Key);
        Assert.Contains("30", e.Message);
    }

    [Theory]
    [InlineData("""{ "name": "x", "masking": { "ratio": 1.5 } }""", "masking.ratio")]
    [InlineData("""{ "name": "x", "training": { "decoderSteps": -1 } }""", "training.decoderSteps")]
    [InlineData("""{ "name": "x", "codebook": { "dimension": 0 } }""", "codebook.dimension")]
    [InlineData("""{ "name": "x", "encoder": { "channels": 30, "groups": 8 } }""", "encoder.channels")]
    [InlineData("""{ "name": "x", "decoder": { "channels": 8, "groups": 4 } }""", "decoder.channels")]
    [InlineData("""{ "name": "x", "kind": "spae" }""", "kind")]
    [InlineData("""{ "name": "x", "decoder": { "type": "vit" } }""", "decoder.type")]
    [InlineData("""{ "name": "x", "encoder": { "type": "vit", "channels": 64, "heads": 5 } }""", "encoder.heads")]
    [InlineData("""{ "name": "../evil" }""", "name")]
    [InlineData("""{ "name": "x", "globalTokens": { "count": 0 } }""", "globalTokens.count")]
    [InlineData("""{ "name": "x", "codebook": { "size": 100 }, "globalTokens": { "vocabulary": 101 } }""", "globalTokens.vocabulary")]
    [InlineData("""{ "name": "x", "globalTokens": { "count": 2, "size": 3 } }""", "globalTokens.size")]
    [InlineData("""{ "name": "x", "globalTokens": { "assignment": { "temperature": 0 } } }""", "globalTokens.assignment.temperature")]
    public void BadValuesAreNamed(string json, string key)
    {
        var e = Assert.Throws<RecipeException>(() => LqaeRecipe.Load(Write(json)));
        Assert.Equal(key, e.Key);
    }

    [Fact]
    public void HashChangesWithAnyHyperparameter()
    {
        var a = new LqaeRecipe { Name = "x" };
        var b = a with { Training = a.Training with { Steps = a.Training.Steps + 1 } };
        Assert.NotEqual(a.Sha256, b.Sha256);
        Assert.Equal(a.Sha256, (a with { }).Sha256);
        // An absent coarse level is not written, so recipes from before it existed keep their hash.
        Assert.DoesNotContain("globalTokens", a.ToJson());
        Assert.NotEqual(a.Sha256, (a with { GlobalTokens = new() }).Sha256);
        // The same for no decoder-only steps.
        Assert.DoesNotContain("decoderSteps", a.ToJson());
        Assert.NotEqual(a.Sha256, (a with { Training = a.Training with { DecoderSteps = 1 } }).Sha256);
        // How a model is evaluated does not change its weights, so it does not change the hash.
        Assert.Equal(a.Sha256, (a with { Evaluation = a.Evaluation with { FewShotEpisodes = 7 } }).Sha256);
    }

    [Fact]
    public void HashIgnoresSpeedKnobsLoggingAndTheCodebookPath()
    {
        var a = new LqaeRecipe { Name = "x" };
        var b = a with
        {
            Codebook = a.Codebook with { Path = "/somewhere/else/codebook" },
            Quantizer = a.Quantizer with { VectorTile = 17, CodeTile = 3 },
            Training = a.Training with { LogEvery = 1, CheckpointEvery = 9, Threads = 2 },
        };
        Assert.Equal(a.Sha256, b.Sha256);
        // The hash checkpoints carried before covered all of them: moving the data root orphaned a checkpoint.
        Assert.NotEqual(a.LegacySha256, b.LegacySha256);
        Assert.NotEqual(a.Sha256, (a with { Codebook = a.Codebook with { Size = 99 } }).Sha256);
    }

    [Fact]
    public void CommandLineThreadsWinOverTheRecipe()
    {
        var t = new TrainingSection { Threads = 2 };
        Assert.Equal(1, t.ResolveThreads(1));
        Assert.Equal(2, t.ResolveThreads(0));
        Assert.Equal(0, new TrainingSection().ResolveThreads(0));
    }

    [Fact]
    public void TheRegistryFindsTheKindByTheRecipesKindKey()
    {
        var recipe = LangBridge.Training.Kinds.KindRegistry.Default.LoadRecipe(Path.Combine(TestPaths.RepositoryRoot, "models", "lqae-fashion.json"));
        Assert.IsType<LqaeRecipe>(recipe);
        Assert.Equal("lqae", recipe.Kind);
    }

    [Fact]
    public void AnUnknownOrMissingKindIsNamedWithTheKnownKinds()
    {
        var unknown = Assert.Throws<RecipeException>(() => LangBridge.Training.Kinds.KindRegistry.Default.LoadRecipe(Write("""{ "name": "x", "kind": "nope" }""")));
        Assert.Equal("kind", unknown.Key);
        Assert.Contains("'nope'", unknown.Message);
        Assert.Contains("lqae", unknown.Message);
        var missing = Assert.Throws<RecipeException>(() => LangBridge.Training.Kinds.KindRegistry.Default.LoadRecipe(Write("""{ "name": "x" }""")));
        Assert.Equal("kind", missing.Key);
    }
}
