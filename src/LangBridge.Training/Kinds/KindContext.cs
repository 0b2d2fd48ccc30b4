using LangBridge.Data;

namespace LangBridge.Training.Kinds;

/// <summary>Where a kind finds what its models are built around and trained on.</summary>
/// <param name="RepositoryRoot">Recipe paths (codebooks, pretrained models) are relative to it.</param>
/// <param name="Data">The data cache; null when only a committed reference model is loaded.</param>
/// <param name="Vocabulary">
/// A vocabulary file to use instead of the data cache's: the frozen vectors then come from the checkpoint,
/// so a committed reference model needs no data cache.
/// </param>
/// <param name="Log">Progress lines for long work.</param>
public sealed record KindContext(string RepositoryRoot, DataLayout? Data = null, string? Vocabulary = null, Action<string>? Log = null)
{
    /// <summary>The data cache, or a clear error naming what needed it.</summary>
    public DataLayout RequireData(string purpose) =>
        Data ?? throw new DataException($"{purpose} needs the data cache (run `langbridge data fetch`, or the Cake Data task)");

    public void Report(string line) => Log?.Invoke(line);

    /// <summary>A path a recipe names (a codebook, a BERT folder, another recipe): as it is when rooted, else relative to the repository root.</summary>
    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(RepositoryRoot, path);

    /// <summary>Where the model named <paramref name="name"/> trains and reports under this repository's <c>artifacts/</c> (its checkpoint, for a model built on another).</summary>
    public RunLayout Run(string name) => new(Path.Combine(RepositoryRoot, "artifacts"), name);
}
