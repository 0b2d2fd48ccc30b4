using System.Text.Json;
using System.Text.Json.Serialization;
using LangBridge.Training.Kinds;
using LangBridge.Training.Recipes;

namespace LangBridge.Training.Vlap;

/// <summary>What stands for a caption on the text side of the assignment.</summary>
public enum VlapTextFeature
{
    /// <summary>The mean of the frozen LM's last hidden states (after its final norm) over the caption's tokens (VLAP).</summary>
    Lm,
    /// <summary>The mean of the caption tokens' input embeddings: a bag of words, the ablation without the LM's reading.</summary>
    Embeddings,
}

/// <summary>The marginal the Sinkhorn assignment spreads each batch over the words with.</summary>
public enum VlapPrior
{
    /// <summary>Token frequencies of the LM's pretraining corpus (VLAP's word-frequency prior); uniform for a GPT-2 folder, which brings no corpus.</summary>
    Corpus,
    /// <summary>Every word the same mass (SwAV's marginal): the prior-off ablation.</summary>
    Uniform,
}

/// <summary>
/// VLAP (kind <c>vlap</c>): the LiMBeR recipe named by <see cref="Limber"/> (its frozen LM, encoders, images,
/// captions, bridge shape and training budget, taken as they are, so every VLAP number has its LiMBeR twin)
/// plus the assignment term: each image's mapped vector and its caption's text feature are scored against the
/// LM's L2-normalised word-embedding table, assigned to the words by Sinkhorn, and each predicts the other's
/// assignment; total loss <c>Weight · L_assign + L_caption</c> per encoder.
/// </summary>
public sealed record VlapRecipe : IModelRecipe
{
    public required string Name { get; init; }
    public string Kind { get; init; } = VlapKind.KindName;
    /// <summary>The LiMBeR recipe whose setting VLAP shares and whose trained bridges it is compared with.</summary>
    public string Limber { get; init; } = "models/limber-fashion.json";
    /// <summary>Must be the LiMBeR recipe's: the same seed draws the same batches and captions.</summary>
    public int Seed { get; init; } = 1234;
    /// <summary>Steps, batch size and optimiser must be the LiMBeR recipe's (the same budget); threads, logging and checkpoints are free.</summary>
    public TrainingSection Training { get; init; } = new() { Steps = 1500, BatchSize = 32, LearningRate = 0.01f, WarmupSteps = 50, WeightDecay = 0.0f, CheckpointEvery = 200, LogEvery = 25 };
    public VlapAssignmentSection Assignment { get; init; } = new();
    public VlapEvaluationSection Evaluation { get; init; } = new();

    [JsonIgnore]
    public string Sha256 => RecipeJson.Sha256(this with
    {
        Evaluation = new(),
        Training = Training with { CheckpointEvery = 0, LogEvery = 0, Threads = 0 },
    });

    /// <summary>Throws unless the seed and budget are <paramref name="limber"/>'s, so every VLAP number has a fair LiMBeR twin.</summary>
    public void RequireSameBudget(Limber.LimberRecipe limber)
    {
        TrainingSection Budget(TrainingSection t) => t with { CheckpointEvery = 0, LogEvery = 0, Threads = 0 };
        if (Seed != limber.Seed) throw new RecipeException("(recipe)", "seed", $"must be the LiMBeR recipe's ({limber.Seed}), got {Seed}");
        if (Budget(Training) != Budget(limber.Training))
            throw new RecipeException("(recipe)", "training", $"steps, batch size and optimiser must be the LiMBeR recipe {limber.Name}'s: {Budget(limber.Training)}");
    }

    public string ToJson() => JsonSerializer.Serialize(this, RecipeJson.Options);

    public static VlapRecipe Parse(string json, string file)
    {
        var recipe = RecipeJson.Deserialize<VlapRecipe>(json, file);
        recipe.Validate(file);
        return recipe;
    }

    public void Validate(string file = "(recipe)")
    {
        void Require(bool ok, string key, string message)
        {
            if (!ok) throw new RecipeException(file, key, message);
        }
        Require(Kind == VlapKind.KindName, "kind", $"expected '{VlapKind.KindName}', got '{Kind}'");
        Require(RecipeJson.IsValidName(Name), "name", "use letters, digits, '-' or '_' (it names folders)");
        Require(!string.IsNullOrWhiteSpace(Limber), "limber", "name the LiMBeR recipe VLAP shares its setting with");
        var a = Assignment;
        Require(a.Weight >= 0, "assignment.weight", "must be >= 0 (VLAP: 0.1)");
        Require(a.Epsilon > 0, "assignment.epsilon", "must be positive (VLAP: 0.01)");
        Require(a.Iterations is >= 1 and <= 100, "assignment.iterations", "must be in 1..100 (VLAP: 3)");
        Require(a.Temperature > 0, "assignment.temperature", "must be positive (VLAP: 0.01)");
        Training.Validate(file);
        Require(Training.DecoderSteps == 0, "training.decoderSteps", "a VLAP bridge has no decoder phase");
        Require(Evaluation.NearestWords is >= 1 and <= 50, "evaluation.nearestWords", "must be in 1..50");
    }
}

public sealed record VlapAssignmentSection
{
    /// <summary>Weight of the assignment loss against the captioning loss (VLAP: 0.1).</summary>
    public double Weight { get; init; } = 0.1;
    /// <summary>Entropy regularisation of the Sinkhorn assignment (VLAP: 0.01; solved in log space).</summary>
    public double Epsilon { get; init; } = 0.01;
    /// <summary>Sinkhorn iterations (VLAP: 3).</summary>
    public int Iterations { get; init; } = 3;
    /// <summary>Softmax temperature of the swapped predictions (VLAP: 0.01).</summary>
    public double Temperature { get; init; } = 0.01;
    public VlapPrior Prior { get; init; } = VlapPrior.Corpus;
    public VlapTextFeature Text { get; init; } = VlapTextFeature.Lm;
}

public sealed record VlapEvaluationSection
{
    /// <summary>Nearest vocabulary words listed per class mean (the sheet) and per image.</summary>
    public int NearestWords { get; init; } = 8;
}
