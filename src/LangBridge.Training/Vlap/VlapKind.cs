using LangBridge.Training.Kinds;
using LangBridge.Training.Limber;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;

namespace LangBridge.Training.Vlap;

/// <summary>
/// Kind <c>vlap</c>: LiMBeR's linear bridges trained with VLAP's assignment prediction over the frozen LM's word
/// embeddings as well as the captioning loss, in the setting of a LiMBeR recipe (the same LM, encoders and their
/// cached features, images, captions and budget), and compared with that recipe's trained bridges.
/// </summary>
public sealed class VlapKind : IModelKind
{
    public const string KindName = "vlap";

    public string Name => KindName;

    public string Description => "VLAP: linear bridges into a frozen LM's word-embedding space trained by optimal-transport assignment prediction";

    public IModelRecipe ParseRecipe(string json, string file) => VlapRecipe.Parse(json, file);

    public KindModel Create(IModelRecipe recipe, KindContext context)
    {
        var r = (VlapRecipe)recipe;
        var limber = LimberRecipeOf(r, context);
        r.RequireSameBudget(limber);
        var lm = LimberKind.LoadLanguageModel(limber, context);
        var features = Path.Combine(context.Run(limber.Name).CheckpointDir, "features");
        var shared = LimberKind.Build(limber with { Name = r.Name }, lm, context, features);
        var prior = WordPrior.For(r, lm, context.Run(r.Name).CheckpointDir, context.Log);
        return new VlapKindModel(r, limber, shared, prior)
        {
            LimberTwinFactory = () =>
            {
                var checkpoint = context.Run(limber.Name).Checkpoint;
                if (!File.Exists(checkpoint))
                {
                    context.Report($"LiMBeR {limber.Name} is not trained yet ({checkpoint}): no LiMBeR comparison");
                    return null;
                }
                var twin = LimberKind.Build(limber, lm, context, features);
                twin.LoadWeights(checkpoint);
                return twin;
            },
        };
    }

    /// <summary>The LiMBeR recipe <paramref name="recipe"/> names.</summary>
    public static LimberRecipe LimberRecipeOf(VlapRecipe recipe, KindContext context)
    {
        var loaded = KindRegistry.Default.LoadRecipe(context.Resolve(recipe.Limber));
        return loaded as LimberRecipe ?? throw new RecipeException("(recipe)", "limber", $"'{recipe.Limber}' is a {loaded.Kind} recipe, not a limber one");
    }
}
