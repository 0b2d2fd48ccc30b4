using LangBridge.Training.Kinds;

namespace LangBridge.Training.Checkpoints;

/// <summary>
/// What a checkpoint must have been trained from to be loaded: the kind, the recipe's weight-shaping hash
/// (or, for checkpoints written before that hash existed, the legacy one) and the content hashes of the
/// model's frozen inputs.
/// </summary>
public sealed record CheckpointIdentity(string Kind, string RecipeSha256, string? LegacyRecipeSha256 = null,
    IReadOnlyDictionary<string, string>? Inputs = null)
{
    /// <summary>The recipe hash version <see cref="RecipeSha256"/> is.</summary>
    public const int RecipeHashVersion = 2;

    public static CheckpointIdentity Of(IModelRecipe recipe, IReadOnlyDictionary<string, string>? inputs = null) =>
        new(recipe.Kind, recipe.Sha256, recipe.LegacySha256, inputs is { Count: > 0 } ? inputs : null);

    /// <summary>The header a checkpoint of this identity is written with.</summary>
    public CheckpointHeader Header(int step, bool hasOptimizer) =>
        new(CheckpointStore.FormatVersion, Kind, RecipeSha256, step, hasOptimizer, RecipeHashVersion, Inputs);

    /// <summary>Why <paramref name="header"/> does not belong to this identity, or null when it does.</summary>
    public string? Mismatch(CheckpointHeader header)
    {
        if (header.Kind != Kind) return $"holds a '{header.Kind}' model, expected '{Kind}'";
        var expected = header.RecipeHashVersion >= RecipeHashVersion ? RecipeSha256 : LegacyRecipeSha256;
        if (expected is not null && header.RecipeSha256 != expected)
            return $"was trained with another recipe (recipe hash {Short(header.RecipeSha256)}, this recipe {Short(expected)}); " +
                   "use the recipe it was trained with, or start without --resume";
        if (header.Inputs is not null && Inputs is not null)
            foreach (var (name, hash) in Inputs)
                if (header.Inputs.TryGetValue(name, out var trained) && trained != hash)
                    return $"was trained with another {name} (content hash {Short(trained)}, now {Short(hash)}); " +
                           $"restore that {name}, or start without --resume";
        return null;
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] + "…" : hash;
}
