namespace LangBridge.Training.Kinds;

/// <summary>
/// One model kind (<c>lqae</c>, <c>clippo</c>, …), registered under its recipe's <c>kind</c> string in a
/// <see cref="KindRegistry"/>. It reads and validates its recipes and builds models; everything after that
/// (training, export, verification, evaluation, golden outputs) goes through the model's
/// <see cref="KindModel"/> members and the generic pipeline in <c>LangBridge.Training.Pipeline</c>.
/// </summary>
public interface IModelKind
{
    /// <summary>The recipe <c>kind</c> string, lower case.</summary>
    string Name { get; }

    /// <summary>One line on what the kind is, for listings and error messages.</summary>
    string Description { get; }

    /// <summary>
    /// Parses and validates a recipe of this kind from its JSON text (strict: unknown keys fail);
    /// throws <see cref="Recipes.RecipeException"/> naming the key at fault.
    /// </summary>
    IModelRecipe ParseRecipe(string json, string file);

    /// <summary>
    /// Builds a model with freshly initialised weights (seeded by the caller) from a recipe this kind parsed.
    /// Loads what the model is built around (a frozen codebook, a pretrained network) through <paramref name="context"/>.
    /// </summary>
    KindModel Create(IModelRecipe recipe, KindContext context);
}
