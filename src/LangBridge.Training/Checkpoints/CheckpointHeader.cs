namespace LangBridge.Training.Checkpoints;

/// <summary>The JSON header of a checkpoint: what produced it and where training stood.</summary>
/// <param name="FormatVersion">Checkpoint format version (<see cref="CheckpointStore.FormatVersion"/>).</param>
/// <param name="Kind">Model kind, e.g. <c>lqae</c>.</param>
/// <param name="RecipeSha256">Hash of the recipe the weights were trained with.</param>
/// <param name="Step">Optimiser steps completed.</param>
/// <param name="HasOptimizer">Whether optimiser state follows the weights (false for reference checkpoints).</param>
/// <param name="RecipeHashVersion">
/// Which recipe hash <paramref name="RecipeSha256"/> is: 1 hashed every key but the evaluation section
/// (checkpoints written before version 2 have none and read as 1), 2 only what shapes the weights.
/// </param>
/// <param name="Inputs">Content hashes of what the weights were trained around (e.g. <c>codebook</c>), checked on resume.</param>
public sealed record CheckpointHeader(int FormatVersion, string Kind, string RecipeSha256, int Step, bool HasOptimizer,
    int RecipeHashVersion = 1, IReadOnlyDictionary<string, string>? Inputs = null);
