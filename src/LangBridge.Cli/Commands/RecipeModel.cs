using LangBridge.Data;
using LangBridge.Training;
using LangBridge.Training.Kinds;
using Spectre.Console;

namespace LangBridge.Cli.Commands;

/// <summary>
/// A recipe's model of whatever kind, with its run folders, as the pipeline commands need it: built fresh
/// for training, or with a checkpoint's weights for everything after.
/// </summary>
internal sealed class RecipeModel : IDisposable
{
    private RecipeModel(IModelKind kind, KindModel model, KindContext context)
    {
        Kind = kind;
        Model = model;
        Context = context;
        Run = CliPaths.Run(model.Recipe);
    }

    public IModelKind Kind { get; }
    public KindModel Model { get; }
    public IModelRecipe Recipe => Model.Recipe;
    public KindContext Context { get; }
    public RunLayout Run { get; }

    /// <summary>The kinds the CLI knows.</summary>
    public static KindRegistry Registry => KindRegistry.Default;

    /// <summary>Loads a recipe (any registered kind) from a path as given, else relative to the repository root.</summary>
    public static IModelRecipe LoadRecipe(string path) => Registry.LoadRecipe(CliPaths.Recipe(path));

    /// <summary>
    /// The recipe's model with fresh weights (the caller seeds TorchSharp first). <paramref name="vocabulary"/>:
    /// words from that file, frozen vectors from a checkpoint loaded later, so no data cache is needed.
    /// </summary>
    public static RecipeModel Create(IModelRecipe recipe, string? dataRoot = null, string? vocabulary = null)
    {
        var context = new KindContext(CliPaths.RepositoryRoot, vocabulary is null || dataRoot is not null ? DataLayout.Resolve(dataRoot) : null,
            vocabulary, line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
        var kind = Registry.KindOf(recipe);
        return new RecipeModel(kind, kind.Create(recipe, context), context);
    }

    /// <summary>The recipe's trained model: weights from <paramref name="checkpoint"/> (default: the recipe's last, artifacts/checkpoints/&lt;name&gt;/last.lbck).</summary>
    public static RecipeModel Load(string recipePath, string? checkpoint = null, string? vocabulary = null, string? dataRoot = null)
    {
        var model = Create(LoadRecipe(recipePath), dataRoot, vocabulary);
        try
        {
            model.Model.LoadWeights(checkpoint ?? model.Run.Checkpoint);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose() => Model.Dispose();
}
