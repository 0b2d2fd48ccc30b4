namespace LangBridge.Training.Kinds;

/// <summary>
/// What every recipe says whatever its kind: the model's name and kind, its seed, how it trains, and the
/// hash that identifies its weights. Each kind's recipe type adds its own sections.
/// </summary>
public interface IModelRecipe
{
    /// <summary>Model name; names the checkpoint, report and bundle folders.</summary>
    string Name { get; }

    /// <summary>The registered kind that builds, trains and exports the model (<see cref="KindRegistry"/>).</summary>
    string Kind { get; }

    /// <summary>Seed for weights, batch order and any sampling: the same seed gives the same weights.</summary>
    int Seed { get; }

    /// <summary>Optimiser, schedule, checkpointing and threads: the section every kind shares.</summary>
    Recipes.TrainingSection Training { get; }

    /// <summary>
    /// SHA-256 of everything that shapes the weights, and nothing else: speed knobs, logging, paths and the
    /// evaluation settings leave it unchanged, so changing them never orphans a checkpoint.
    /// </summary>
    string Sha256 { get; }

    /// <summary>
    /// The hash an earlier version of the recipe format wrote into checkpoints (<see cref="Checkpoints.CheckpointHeader.RecipeHashVersion"/> 1),
    /// so checkpoints written before <see cref="Sha256"/> changed still load; null for kinds that never had one.
    /// </summary>
    string? LegacySha256 => null;

    /// <summary>The recipe as indented JSON (what is written beside reports).</summary>
    string ToJson();
}
