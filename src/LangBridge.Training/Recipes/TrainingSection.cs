using System.Text.Json.Serialization;

namespace LangBridge.Training.Recipes;

/// <summary>Optimiser, schedule and checkpointing: the <c>training</c> section every kind's recipe shares.</summary>
public sealed record TrainingSection
{
    public int Steps { get; init; } = 3000;
    /// <summary>
    /// Kinds with a decoder (LQAE, SPAE): steps after <see cref="Steps"/> that train the decoder alone on
    /// every word (no masking), the encoder frozen: the words are final, and the decoder, trained on masked
    /// grids until then, learns to use them all. Left out of the recipe's JSON when 0, so recipes without it
    /// keep their hash.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int DecoderSteps { get; init; }
    /// <summary>Every optimiser step: <see cref="Steps"/> then <see cref="DecoderSteps"/>.</summary>
    [JsonIgnore]
    public int TotalSteps => Steps + DecoderSteps;
    public int BatchSize { get; init; } = 128;
    public float LearningRate { get; init; } = 2e-3f;
    public int WarmupSteps { get; init; } = 100;
    public float WeightDecay { get; init; } = 1e-4f;
    public int CheckpointEvery { get; init; } = 250;
    public int LogEvery { get; init; } = 25;
    /// <summary>Intra-op threads (0 = all cores); a <c>--threads</c> given on the command line wins.</summary>
    public int Threads { get; init; }

    /// <summary>The intra-op thread count to use: <paramref name="commandLine"/> when positive, else this section's (0: all cores).</summary>
    public int ResolveThreads(int commandLine) => commandLine > 0 ? commandLine : Threads;

    /// <summary>Range checks shared by every kind's recipe (keys under <c>training.</c>).</summary>
    public void Validate(string file)
    {
        void Require(bool ok, string key, string message)
        {
            if (!ok) throw new RecipeException(file, "training." + key, message);
        }
        Require(Steps > 0, "steps", "must be positive");
        Require(DecoderSteps >= 0, "decoderSteps", "must be >= 0");
        Require(BatchSize > 0, "batchSize", "must be positive");
        Require(LearningRate > 0, "learningRate", "must be positive");
        Require(WeightDecay >= 0, "weightDecay", "must be >= 0");
        Require(WarmupSteps >= 0 && WarmupSteps < Steps, "warmupSteps", "must be in [0, steps)");
        Require(CheckpointEvery > 0, "checkpointEvery", "must be positive");
        Require(LogEvery > 0, "logEvery", "must be positive");
        Require(Threads >= 0, "threads", "must be >= 0 (0 = all cores)");
    }
}
