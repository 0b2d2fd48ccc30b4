using System.Text.Json;
using System.Text.Json.Serialization;
using LangBridge.Training.Kinds;
using LangBridge.Training.Recipes;

namespace LangBridge.Training.Clippo;

/// <summary>
/// A CLIPPO model: one ViT for images and for text rendered as pixels, trained only with a contrastive loss
/// (or, with <c>text.tower: glove</c>, the two-tower baseline: the same image ViT, text as mean GloVe vectors
/// through a linear layer).
/// </summary>
public sealed record ClippoRecipe : IModelRecipe
{
    public required string Name { get; init; }
    public string Kind { get; init; } = ClippoKind.KindName;
    public int Seed { get; init; } = 1234;
    public ClippoDataSection Data { get; init; } = new();
    public ClippoTextSection Text { get; init; } = new();
    public ClippoEncoderSection Encoder { get; init; } = new();
    /// <summary>Initial softmax temperature (a learned multiplier of the cosine scores; CLIPPO: 10).</summary>
    public float Temperature { get; init; } = 10f;
    public TrainingSection Training { get; init; } = new() { Steps = 1500, BatchSize = 128, LearningRate = 1e-3f, WarmupSteps = 100, WeightDecay = 1e-4f, CheckpointEvery = 250, LogEvery = 25 };
    public ClippoEvaluationSection Evaluation { get; init; } = new();

    /// <summary>The canvas every encoder input has: the text canvas, and images upsampled to it.</summary>
    [JsonIgnore]
    public int Canvas => Text.Canvas;

    /// <summary>Nearest-neighbour upsampling factor from the image size to the canvas.</summary>
    [JsonIgnore]
    public int ImageUpsample => Text.Canvas / Data.ImageSize;

    [JsonIgnore]
    public string Sha256 => RecipeJson.Sha256(this with
    {
        Evaluation = new(),
        Text = Text with { Codebook = Text.Codebook with { Path = "" } },
        Training = Training with { CheckpointEvery = 0, LogEvery = 0, Threads = 0 },
    });

    public string ToJson() => JsonSerializer.Serialize(this, RecipeJson.Options);

    public static ClippoRecipe Parse(string json, string file)
    {
        var recipe = RecipeJson.Deserialize<ClippoRecipe>(json, file);
        recipe.Validate(file);
        return recipe;
    }

    public void Validate(string file = "(recipe)")
    {
        void Require(bool ok, string key, string message)
        {
            if (!ok) throw new RecipeException(file, key, message);
        }
        Require(Kind == ClippoKind.KindName, "kind", $"expected '{ClippoKind.KindName}', got '{Kind}'");
        Require(RecipeJson.IsValidName(Name), "name", "use letters, digits, '-' or '_' (it names folders)");
        Require(Data.Dataset == "fashion-mnist", "data.dataset", "only 'fashion-mnist' has captions (class words from WordNet)");
        Require(Data.ImageSize > 0 && Text.Canvas % Data.ImageSize == 0, "text.canvas",
            $"must be a multiple of data.imageSize ({Data.ImageSize}) so images upsample to it exactly, got {Text.Canvas}");
        Require(Text.Scale >= 1 && Text.Canvas >= 16 * Text.Scale, "text.scale", $"a {Text.Canvas}-pixel canvas needs scale 1..{Text.Canvas / 16}");
        Require(Text.Tower is TextTower.Pixels or TextTower.Glove, "text.tower", "must be 'pixels' or 'glove'");
        Require(Encoder.Patch > 0 && Text.Canvas % Encoder.Patch == 0, "encoder.patch", $"must divide the canvas ({Text.Canvas}), got {Encoder.Patch}");
        Require(Encoder.Width > 0 && Encoder.Heads > 0 && Encoder.Width % Encoder.Heads == 0, "encoder.heads", "width must be divisible by heads");
        Require(Encoder.Depth > 0, "encoder.depth", "must be positive");
        Require(Encoder.Embedding > 0, "encoder.embedding", "must be positive");
        Require(Temperature > 0, "temperature", "must be positive");
        Training.Validate(file);
        Require(Training.DecoderSteps == 0, "training.decoderSteps", "a CLIPPO model has no decoder");
        Require(Evaluation.RetrievalImages >= 10, "evaluation.retrievalImages", "must be at least 10");
    }
}

public sealed record ClippoDataSection
{
    public string Dataset { get; init; } = "fashion-mnist";
    public int ImageSize { get; init; } = 28;
    /// <summary>Use only the first N training images (0 = all).</summary>
    public int TrainLimit { get; init; }
}

public enum TextTower { Pixels, Glove }

public sealed record ClippoTextSection
{
    /// <summary><c>pixels</c>: CLIPPO (rendered text through the image encoder); <c>glove</c>: the two-tower baseline.</summary>
    public TextTower Tower { get; init; } = TextTower.Pixels;
    /// <summary>Side of the text canvas and of the encoder input (images are upsampled to it).</summary>
    public int Canvas { get; init; } = 56;
    /// <summary>Glyph pixel scale (1: 8×16 Unifont glyphs, 7 characters × 3 lines on a 56-pixel canvas).</summary>
    public int Scale { get; init; } = 1;
    /// <summary>The GloVe codebook the two-tower baseline's text tower reads (unused by <c>pixels</c>).</summary>
    public CodebookSection Codebook { get; init; } = new() { Size = 32768 };
}

public sealed record ClippoEncoderSection
{
    public int Patch { get; init; } = 8;
    public int Width { get; init; } = 96;
    public int Depth { get; init; } = 4;
    public int Heads { get; init; } = 4;
    /// <summary>Dimension of the unit-norm embedding both modalities share.</summary>
    public int Embedding { get; init; } = 64;
}

public sealed record ClippoEvaluationSection
{
    /// <summary>Test images evaluated (0 = all 10,000).</summary>
    public int TestLimit { get; init; }
    /// <summary>Test images (and their held-out captions) of the retrieval task.</summary>
    public int RetrievalImages { get; init; } = 1000;
    /// <summary>Recipe of the two-tower baseline evaluated beside this model when it has been trained (null: none).</summary>
    public string? Baseline { get; init; }
}
