namespace LangBridge.Training.Checkpoints;

/// <summary>The JSON header of a checkpoint: what produced it and where training stood.</summary>
/// <param name="FormatVersion">Checkpoint format version (<see cref="CheckpointStore.FormatVersion"/>).</param>
/// <param name="Kind">Model kind, e.g. <c>lqae</c>.</param>
/// <param name="RecipeSha256">Hash of the recipe the weights were trained with.</param>
/// <param name="Step">Optimiser steps completed.</param>
/// <param name="HasOptimizer">Whether optimiser state follows the weights (false for reference checkpoints).</param>
public sealed record CheckpointHeader(int FormatVersion, string Kind, string RecipeSha256, int Step, bool HasOptimizer);
