using LangBridge.Data;
using LangBridge.Training;
using LangBridge.Training.Lqae;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>A recipe's trained model with its codebook and run folders, as the later pipeline steps need it.</summary>
internal sealed class TrainedModel : IDisposable
{
    private TrainedModel(LqaeRecipe recipe, LanguageCodebook codebook, LqaeModel model, RunLayout run)
    {
        Recipe = recipe; Codebook = codebook; Model = model; Run = run;
    }

    public LqaeRecipe Recipe { get; }
    public LanguageCodebook Codebook { get; }
    public LqaeModel Model { get; }
    public RunLayout Run { get; }

    /// <summary>
    /// Loads the recipe, its codebook and a checkpoint (default: its last, artifacts/checkpoints/&lt;name&gt;/last.lbck).
    /// With <paramref name="vocabulary"/> the words come from that file and the vectors from the checkpoint itself,
    /// so a committed reference model needs no data cache.
    /// </summary>
    public static TrainedModel Load(string recipePath, string? checkpoint = null, string? vocabulary = null)
    {
        var recipe = LqaeRecipe.Load(CliPaths.Recipe(recipePath));
        var run = CliPaths.Run(recipe);
        var codebook = vocabulary is null
            ? RecipeData.LoadCodebook(recipe, CliPaths.RepositoryRoot)
            : new LanguageCodebook(LanguageCodebook.ReadVocabulary(vocabulary), new float[recipe.Codebook.Size * recipe.Codebook.Dimension],
                recipe.Codebook.Dimension, origin: vocabulary);
        using var codebookTensor = tensor(codebook.Vectors).view(codebook.Count, codebook.Dimension);
        var model = LqaeModel.FromCheckpoint(recipe, codebookTensor, checkpoint ?? run.Checkpoint);
        return new TrainedModel(recipe, codebook, model, run);
    }

    public void Dispose() => Model.Dispose();
}
