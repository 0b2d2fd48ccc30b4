using LangBridge.Data;
using LangBridge.Runtime;
using LangBridge.Training.Language;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests.Language;

/// <summary>The <c>gpt</c> kind on a corpus written here: recipe checks, corpus documents, and pretraining through the generic trainer.</summary>
public sealed class GptKindTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lb-gpt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly string[] Documents =
    [
        "shirt: a garment worn on the upper half of the body. He wore a white shirt.",
        "dress: a one-piece garment for a woman. She wore a long dress.",
        "sandal: a shoe fastened by straps to the foot. The sandal was light.",
        "coat: an outer garment that has sleeves. He wore a dark coat.",
    ];

    private static GptRecipe Recipe(int steps = 200) => GptRecipe.Parse($$"""
        { "name": "lm-test", "kind": "gpt", "seed": 5, "tokenizer": { "vocabularySize": 300 },
          "model": { "width": 32, "layers": 2, "heads": 4, "context": 16 },
          "training": { "steps": {{steps}}, "batchSize": 8, "learningRate": 0.01, "warmupSteps": 5, "checkpointEvery": 30, "logEvery": 10 },
          "evaluation": { "prompts": ["shirt:"], "sampleTokens": 8 } }
        """, "test");

    [Fact]
    public void Pretraining_lowers_perplexity_and_the_model_continues_a_prompt_from_its_corpus()
    {
        var recipe = Recipe();
        var corpus = new TextCorpus(Enumerable.Repeat(Documents, 8).SelectMany(d => d).ToArray(), Documents[..1]);
        var tokenizer = new BytePairTokenizer(BytePairTrainer.Train(corpus.Train, recipe.Tokenizer.VocabularySize));
        manual_seed(recipe.Seed);
        using var model = new GptKindModel(recipe, corpus, tokenizer);
        var before = GptEvaluator.Perplexity(model, new TokenStream(tokenizer, corpus.HeldOut, 16), 4);
        using var task = model.CreateTrainingTask(new Kinds.KindContext(dir));
        var result = new Trainer(model.TrainingPlan, recipe.Seed, model.Module, task, model.Identity)
            .Train(new TrainerOptions(Path.Combine(dir, "last.lbck"), Path.Combine(dir, "log.jsonl")));
        Assert.Equal(200, result.StepsCompleted);
        model.Module.eval();
        var after = GptEvaluator.Perplexity(model, new TokenStream(tokenizer, corpus.HeldOut, 16), 4);
        Assert.True(after < before / 4, $"held-out perplexity {before:F1} → {after:F1}");
        // Greedy decoding recites the training text: the continuation is a stretch of some document (an untrained model's is not).
        var text = GptGenerator.Continue(model.Model, tokenizer, "shirt:", SamplingOptions.Greedy with { MaxTokens = 6 });
        Assert.True(text.Length > 4 && Documents.Any(d => d.Contains(text, StringComparison.Ordinal)), $"'{text}'");

        var report = GptEvaluator.Evaluate(model, result, null, Path.Combine(dir, "samples.txt"));
        Assert.Equal(report.HeldOutPerplexity, after, 6);
        Assert.Single(report.Samples);
        Assert.Contains("shirt:", File.ReadAllText(Path.Combine(dir, "samples.txt")));
    }

    [Fact]
    public void Nucleus_samples_are_reproducible_by_seed()
    {
        var recipe = Recipe();
        var corpus = new TextCorpus(Documents, Documents[..1]);
        var tokenizer = new BytePairTokenizer(BytePairTrainer.Train(corpus.Train, 300));
        manual_seed(1);
        using var model = new GptKindModel(recipe, corpus, tokenizer);
        model.Module.eval();
        string Sample(int seed) => GptGenerator.Continue(model.Model, tokenizer, "a", SamplingOptions.Nucleus(seed) with { Temperature = 1.5f, MaxTokens = 10 });
        Assert.Equal(Sample(3), Sample(3));
        Assert.NotEqual(Sample(3), Sample(4));
    }

    [Theory]
    [InlineData("\"model\": { \"width\": 30, \"heads\": 4 }", "model.heads")]
    [InlineData("\"tokenizer\": { \"vocabularySize\": 100 }", "tokenizer.vocabularySize")]
    [InlineData("\"corpus\": { \"source\": \"gcide\" }", "corpus.source")]
    [InlineData("\"evaluation\": { \"sampleTokens\": 64 }", "evaluation.sampleTokens")]
    [InlineData("\"modle\": {}", "modle")]
    public void Bad_recipes_name_the_key(string section, string key)
    {
        var e = Assert.Throws<Recipes.RecipeException>(() => GptRecipe.Parse($$"""{ "name": "x", "kind": "gpt", {{section}} }""", "bad.json"));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void A_synset_becomes_a_document_of_its_word_definition_and_examples()
    {
        var synset = new WordNetSynset("04197391", 'n', ["shirt"], [], "a garment worn on the upper half of the body; \"he wore a shirt\"; \"shirts were cheap\"");
        Assert.Equal("shirt: a garment worn on the upper half of the body. He wore a shirt. Shirts were cheap.", TextCorpus.Document(synset));
        Assert.Null(TextCorpus.Document(synset with { Gloss = "" }));
    }
}
