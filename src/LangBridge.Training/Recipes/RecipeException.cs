namespace LangBridge.Training.Recipes;

/// <summary>A recipe file that cannot be trained: unknown key, bad value or impossible shape.</summary>
public sealed class RecipeException(string file, string key, string message)
    : Exception($"{file}: '{key}': {message}")
{
    /// <summary>The recipe file.</summary>
    public string File { get; } = file;

    /// <summary>The JSON path of the offending key, e.g. <c>encoder.channels</c>.</summary>
    public string Key { get; } = key;
}
