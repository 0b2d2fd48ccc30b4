using System.Text.Json;
using System.Text.Json.Serialization;
using LangBridge.Pretrained.Models;
using LangBridge.Training.Kinds;
using LangBridge.Training.Recipes;

namespace LangBridge.Training.Language;

/// <summary>
/// A small GPT-2-style causal language model pretrained by the pipeline on real English text (kind <c>gpt</c>):
/// the frozen LM a LiMBeR bridge captions through when no GPT-2 folder is brought.
/// </summary>
public sealed record GptRecipe : IModelRecipe
{
    public required string Name { get; init; }
    public string Kind { get; init; } = GptKind.KindName;
    public int Seed { get; init; } = 1234;
    public GptCorpusSection Corpus { get; init; } = new();
    public GptTokenizerSection Tokenizer { get; init; } = new();
    public GptModelSection Model { get; init; } = new();
    public TrainingSection Training { get; init; } = new() { Steps = 1000, BatchSize = 32, LearningRate = 1e-3f, WarmupSteps = 50, WeightDecay = 0.01f, CheckpointEvery = 200, LogEvery = 25 };
    public GptEvaluationSection Evaluation { get; init; } = new();

    [JsonIgnore]
    public string Sha256 => RecipeJson.Sha256(this with
    {
        Evaluation = new(),
        Training = Training with { CheckpointEvery = 0, LogEvery = 0, Threads = 0 },
    });

    /// <summary>The model's shape (the vocabulary size is the tokenizer's).</summary>
    public GptConfig Config => new()
    {
        VocabSize = Tokenizer.VocabularySize, ContextLength = Model.Context, Width = Model.Width, Layers = Model.Layers,
        Heads = Model.Heads, InnerWidth = 4 * Model.Width, Dropout = Model.Dropout,
    };

    public string ToJson() => JsonSerializer.Serialize(this, RecipeJson.Options);

    public static GptRecipe Parse(string json, string file)
    {
        var recipe = RecipeJson.Deserialize<GptRecipe>(json, file);
        recipe.Validate(file);
        return recipe;
    }

    public void Validate(string file = "(recipe)")
    {
        void Require(bool ok, string key, string message)
        {
            if (!ok) throw new RecipeException(file, key, message);
        }
        Require(Kind == GptKind.KindName, "kind", $"expected '{GptKind.KindName}', got '{Kind}'");
        Require(RecipeJson.IsValidName(Name), "name", "use letters, digits, '-' or '_' (it names folders)");
        Require(Corpus.Source == "wordnet", "corpus.source", "only 'wordnet' (WordNet 3.0's glosses and examples, from the data cache) is available");
        Require(Corpus.HeldOutEvery >= 2, "corpus.heldOutEvery", "must be at least 2");
        Require(Tokenizer.VocabularySize is >= 257 and <= 65536, "tokenizer.vocabularySize", "must be in 257..65536 (256 bytes, merges, end of text)");
        Require(Model.Width >= 16 && Model.Heads > 0 && Model.Width % Model.Heads == 0, "model.heads", "width must be at least 16 and divisible by heads");
        Require(Model.Layers > 0, "model.layers", "must be positive");
        Require(Model.Context >= 8, "model.context", "must be at least 8 positions");
        Require(Model.Dropout is >= 0 and < 1, "model.dropout", "must be in [0, 1)");
        Training.Validate(file);
        Require(Training.DecoderSteps == 0, "training.decoderSteps", "a language model has no separate decoder phase");
        Require(Evaluation.SampleTokens > 0, "evaluation.sampleTokens", "must be positive");
        Require(Evaluation.SampleTokens < Model.Context, "evaluation.sampleTokens", $"prompt + sample must fit the context of {Model.Context}");
    }
}

public sealed record GptCorpusSection
{
    /// <summary>Where the text comes from: <c>wordnet</c> (the data cache's WordNet 3.0).</summary>
    public string Source { get; init; } = "wordnet";
    /// <summary>One document in N is held out (by WordNet offset) for perplexity.</summary>
    public int HeldOutEvery { get; init; } = 50;
}

public sealed record GptTokenizerSection
{
    /// <summary>Byte-level BPE vocabulary learned from the training documents: 256 bytes, merges, end of text.</summary>
    public int VocabularySize { get; init; } = 4096;
}

public sealed record GptModelSection
{
    public int Width { get; init; } = 256;
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    /// <summary>Positions: the training window, and the longest prompt + continuation the model can read.</summary>
    public int Context { get; init; } = 64;
    /// <summary>Dropout while the LM pretrains (off once it is frozen).</summary>
    public double Dropout { get; init; }
}

public sealed record GptEvaluationSection
{
    /// <summary>Prompts continued in the report (greedy and nucleus-sampled).</summary>
    public IReadOnlyList<string> Prompts { get; init; } = ["shirt:", "a picture of", "The dress", "sandal:"];
    /// <summary>New tokens a sample runs to (or end of text).</summary>
    public int SampleTokens { get; init; } = 30;
    /// <summary>Held-out windows scored (0: all).</summary>
    public int HeldOutLimit { get; init; }
}
