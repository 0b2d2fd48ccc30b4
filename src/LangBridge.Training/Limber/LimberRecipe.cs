using System.Text.Json;
using System.Text.Json.Serialization;
using LangBridge.Training.Kinds;
using LangBridge.Training.Recipes;

namespace LangBridge.Training.Limber;

/// <summary>The frozen image encoders LiMBeR's question compares, by how much language supervised them.</summary>
public enum LimberEncoder
{
    /// <summary>A randomly initialised conv encoder (LQAE's architecture), frozen: the control.</summary>
    Random,
    /// <summary>The trained LQAE encoder (image-only training): the BEiT analogue.</summary>
    Lqae,
    /// <summary>The imported ImageNet ResNet-18 (category labels): the NF-ResNet analogue.</summary>
    Resnet18,
    /// <summary>The CLIPPO image encoder (trained against captions): the CLIP analogue.</summary>
    Clippo,
}

/// <summary>How an encoder is named in reports, caches, loss terms and bundles: its recipe spelling.</summary>
public static class LimberEncoderNames
{
    public static string Key(this LimberEncoder encoder) => encoder.ToString().ToLowerInvariant();
}

/// <summary>
/// LiMBeR (kind <c>limber</c>): for each frozen image encoder, one linear map from its pooled feature to
/// <see cref="LimberBridgeSection.Tokens"/> soft tokens in a frozen causal LM's input space, trained with the LM's
/// captioning loss on caption tokens only. The bridges of every encoder train in one run on the same batches
/// (their losses add up; nothing else is shared), so they see the same captions and budget.
/// </summary>
public sealed record LimberRecipe : IModelRecipe
{
    public required string Name { get; init; }
    public string Kind { get; init; } = LimberKind.KindName;
    public int Seed { get; init; } = 1234;
    public LimberDataSection Data { get; init; } = new();
    public LimberLanguageModelSection Lm { get; init; } = new();
    /// <summary>The encoders compared; one whose checkpoint is not trained yet is left out and reported.</summary>
    public IReadOnlyList<LimberEncoder> Encoders { get; init; } = [LimberEncoder.Random, LimberEncoder.Lqae, LimberEncoder.Resnet18, LimberEncoder.Clippo];
    /// <summary>Recipes of the trained encoders (relative to the repository root).</summary>
    public LimberEncoderRecipes EncoderRecipes { get; init; } = new();
    public LimberBridgeSection Bridge { get; init; } = new();
    /// <summary>What the exported captioning bundle holds.</summary>
    public LimberBundleSection Bundle { get; init; } = new();
    /// <summary>The text every caption continues (LiMBeR: "A picture of").</summary>
    public string Prompt { get; init; } = "A picture of";
    public TrainingSection Training { get; init; } = new() { Steps = 600, BatchSize = 32, LearningRate = 2e-3f, WarmupSteps = 30, WeightDecay = 0.0f, CheckpointEvery = 200, LogEvery = 25 };
    public LimberEvaluationSection Evaluation { get; init; } = new();

    [JsonIgnore]
    public string Sha256 => RecipeJson.Sha256(this with
    {
        Evaluation = new(),
        Bundle = new(),
        Training = Training with { CheckpointEvery = 0, LogEvery = 0, Threads = 0 },
    });

    public string ToJson() => JsonSerializer.Serialize(this, RecipeJson.Options);

    public static LimberRecipe Parse(string json, string file)
    {
        var recipe = RecipeJson.Deserialize<LimberRecipe>(json, file);
        recipe.Validate(file);
        return recipe;
    }

    public void Validate(string file = "(recipe)")
    {
        void Require(bool ok, string key, string message)
        {
            if (!ok) throw new RecipeException(file, key, message);
        }
        Require(Kind == LimberKind.KindName, "kind", $"expected '{LimberKind.KindName}', got '{Kind}'");
        Require(RecipeJson.IsValidName(Name), "name", "use letters, digits, '-' or '_' (it names folders)");
        Require(!string.IsNullOrWhiteSpace(Data.Dataset), "data.dataset", "name 'fashion-mnist' or an image folder with train/ and test/");
        Require(Data.ImageSize is null or (>= 4 and <= 512), "data.imageSize", "must be in 4..512");
        Require(Data.ImageSize is null || !Data.IsFashionMnist, "data.imageSize", "applies to image folders only (Fashion-MNIST's images are 28 pixels)");
        Require(Data.TrainLimit >= 0, "data.trainLimit", "must be >= 0 (0: all)");
        Require(Lm.Recipe is null || Lm.Folder is null, "lm", "name one of 'recipe' (a gpt recipe the pipeline pretrains) or 'folder' (a GPT-2 folder), not both");
        Require(Encoders.Count > 0 && Encoders.Distinct().Count() == Encoders.Count, "encoders", "list each encoder once, at least one");
        Require(Bridge.Tokens is >= 1 and <= 16, "bridge.tokens", "must be in 1..16");
        Require(Encoders.Contains(Bundle.Encoder), "bundle.encoder", $"must be one of the recipe's encoders ({string.Join(", ", Encoders)})");
        Require(Bundle.Encoder != LimberEncoder.Resnet18, "bundle.encoder", "ResNet-18 reads 224-pixel RGB images: its resize is not exported yet (use random, lqae or clippo)");
        Require(Bridge.Dropout is >= 0 and < 1, "bridge.dropout", "must be in [0, 1)");
        Require(!string.IsNullOrWhiteSpace(Prompt), "prompt", "must not be empty");
        Training.Validate(file);
        Require(Training.DecoderSteps == 0, "training.decoderSteps", "a LiMBeR bridge has no decoder phase");
        Require(Evaluation.TestLimit >= 10, "evaluation.testLimit", "must be at least 10");
        Require(Evaluation.MaxTokens is >= 1 and <= 100, "evaluation.maxTokens", "must be in 1..100 (LiMBeR: at most 100)");
    }
}

public sealed record LimberDataSection
{
    /// <summary>
    /// <c>fashion-mnist</c> (class words from WordNet), or a folder holding <c>train/</c> and <c>test/</c> with one
    /// sub-folder of grey images per class, the folder names being the class words (no synonyms).
    /// </summary>
    public string Dataset { get; init; } = FashionMnistName;
    /// <summary>Side an image folder's images are resized to (default 28, Fashion-MNIST's); unset, it stays out of the recipe's hash.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ImageSize { get; init; }
    /// <summary>Training images the bridges learn from (0: all 60,000); their features are computed once and cached.</summary>
    public int TrainLimit { get; init; } = 6000;

    public const string FashionMnistName = "fashion-mnist";

    [JsonIgnore]
    public bool IsFashionMnist => string.Equals(Dataset, FashionMnistName, StringComparison.OrdinalIgnoreCase);
}

public sealed record LimberLanguageModelSection
{
    /// <summary>A <c>gpt</c> recipe whose trained checkpoint is the frozen LM (neither this nor a folder: the pipeline's WordNet LM).</summary>
    public string? Recipe { get; init; }
    /// <summary>Or a Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json, merges.txt).</summary>
    public string? Folder { get; init; }

    public const string DefaultRecipe = "models/lm-wordnet.json";

    /// <summary>The <c>gpt</c> recipe to use when no folder is named.</summary>
    [JsonIgnore]
    public string RecipeOrDefault => Recipe ?? DefaultRecipe;
}

public sealed record LimberEncoderRecipes
{
    public string Lqae { get; init; } = "models/lqae-fashion.json";
    public string Clippo { get; init; } = "models/clippo-fashion.json";
}

public sealed record LimberBridgeSection
{
    /// <summary>Soft tokens k the pooled feature becomes (LiMBeR's configs: 1).</summary>
    public int Tokens { get; init; } = 1;
    /// <summary>Dropout on the soft tokens while training (LiMBeR: 0.1).</summary>
    public double Dropout { get; init; } = 0.1;
}

public sealed record LimberBundleSection
{
    /// <summary>The encoder whose bridge the captioning bundle serves (the bundle holds that encoder's graph).</summary>
    public LimberEncoder Encoder { get; init; } = LimberEncoder.Clippo;
}

public sealed record LimberEvaluationSection
{
    /// <summary>Test images captioned and scored.</summary>
    public int TestLimit { get; init; } = 1000;
    /// <summary>Most new tokens of a caption.</summary>
    public int MaxTokens { get; init; } = 24;
    /// <summary>Images on the sheet of generated captions.</summary>
    public int SheetImages { get; init; } = 24;
}
