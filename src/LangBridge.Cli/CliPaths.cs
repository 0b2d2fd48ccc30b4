using LangBridge.Data;
using LangBridge.Training;
using LangBridge.Training.Kinds;

namespace LangBridge.Cli;

/// <summary>Resolves the repository root, the artifacts folder and a recipe's run folders.</summary>
internal static class CliPaths
{
    public static string RepositoryRoot =>
        DataLayout.FindRepoRoot(Environment.CurrentDirectory) ?? DataLayout.FindRepoRoot(AppContext.BaseDirectory)
        ?? throw new DataException($"cannot find the repository root ({DataLayout.RepoMarker}) above '{Environment.CurrentDirectory}'");

    public static string ArtifactsRoot => Path.Combine(RepositoryRoot, "artifacts");

    public static RunLayout Run(IModelRecipe recipe) => new(ArtifactsRoot, recipe.Name);

    /// <summary>A recipe path as given, else relative to the repository root.</summary>
    public static string Recipe(string path) =>
        File.Exists(path) || Path.IsPathRooted(path) ? path : Path.Combine(RepositoryRoot, path);
}
