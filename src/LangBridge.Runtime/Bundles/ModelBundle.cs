using System.Security.Cryptography;
using System.Text;

namespace LangBridge.Runtime;

/// <summary>
/// A verified model bundle: the manifest has been validated, every listed file exists inside the
/// bundle folder with the listed size and SHA-256, and the graphs' opset and IR version are ones
/// the runtime supports. Holds no native resources; open graphs from it with <see cref="BundleGraph.Open"/>
/// or a wrapper such as <see cref="ImageTokenizer"/>.
/// </summary>
public sealed class ModelBundle
{
    private readonly string _realRoot;
    private readonly Dictionary<string, BundleFileEntry> _files;

    private ModelBundle(string directory, string realRoot, BundleManifest manifest, IReadOnlyList<string> vocabulary)
    {
        Directory = directory;
        _realRoot = realRoot;
        Manifest = manifest;
        Vocabulary = vocabulary;
        _files = manifest.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
    }

    /// <summary>The bundle folder as given.</summary>
    public string Directory { get; }

    /// <summary>The validated manifest.</summary>
    public BundleManifest Manifest { get; }

    /// <summary>The vocabulary (token id = index), empty when the bundle has no <c>tokens</c> section.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>
    /// Loads and verifies a bundle folder. Every problem has its own exception type, all deriving
    /// from <see cref="LangBridgeException"/>.
    /// </summary>
    /// <param name="directory">The bundle folder (the one holding <c>manifest.json</c>).</param>
    /// <exception cref="BundleFileMissingException">manifest.json or a listed file is missing.</exception>
    /// <exception cref="BundleIntegrityException">A file's size or SHA-256 differs, or a used file is unlisted.</exception>
    /// <exception cref="BundlePathException">A path leaves the bundle folder.</exception>
    /// <exception cref="BundleFormatException">The manifest is malformed or contradicts a graph.</exception>
    /// <exception cref="UnsupportedFormatVersionException">Unknown formatVersion.</exception>
    /// <exception cref="UnsupportedOpsetException">Opset or IR version above what the runtime supports.</exception>
    public static ModelBundle Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new BundleFileMissingException(ManifestJson.FileName, directory);
        }

        var realRoot = BundlePaths.RealRoot(directory);

        // The manifest carries no hash of itself, but it must not be a link to somewhere else either.
        var manifestPath = BundlePaths.Resolve(realRoot, ManifestJson.FileName);
        if (!File.Exists(manifestPath))
        {
            throw new BundleFileMissingException(ManifestJson.FileName, directory);
        }

        var manifest = ManifestJson.Parse(File.ReadAllText(manifestPath, Encoding.UTF8));
        CheckVersions(ManifestJson.FileName, manifest.Opset, manifest.IrVersion);

        var bundle = new ModelBundle(directory, realRoot, manifest, []);

        // Everything the bundle uses must carry a hash; an unlisted graph would be loaded unverified.
        foreach (var (path, usedBy) in BundleKinds.UsedFiles(manifest))
        {
            bundle.RequireListed(path, usedBy);
        }

        var graphsByFile = manifest.Graphs.Values.ToLookup(g => g.File, StringComparer.Ordinal);
        foreach (var entry in manifest.Files)
        {
            if (graphsByFile.Contains(entry.Path))
            {
                // Graphs are read whole anyway (the header is checked), so hash the same bytes.
                var bytes = bundle.ReadVerifiedBytes(entry.Path);
                foreach (var graph in graphsByFile[entry.Path])
                {
                    CheckGraphHeader(graph, bytes, manifest);
                }
            }
            else
            {
                bundle.VerifyStreaming(entry);
            }
        }

        if (manifest.Tokens is { } t)
        {
            var words = ReadVocabulary(t, bundle.ReadVerifiedBytes(t.Vocabulary));
            return new ModelBundle(directory, realRoot, manifest, words);
        }

        return bundle;
    }

    /// <summary>The graph with the given role (e.g. <c>encoder</c>).</summary>
    /// <exception cref="BundleFormatException">The bundle has no such graph.</exception>
    public GraphSpec GetGraph(string role) =>
        Manifest.Graphs.TryGetValue(role, out var graph)
            ? graph
            : throw new BundleFormatException(ManifestJson.FileName,
                $"Bundle '{Manifest.Name}' (kind \"{Manifest.Kind}\") has no \"{role}\" graph; it has [{string.Join(", ", Manifest.Graphs.Keys)}]. Re-export the bundle with a {role}.");

    /// <summary>
    /// Reads a listed file and checks its size and SHA-256 again on the very bytes returned, so a
    /// file swapped after <see cref="Load(string)"/> is never used.
    /// </summary>
    /// <exception cref="BundleIntegrityException">The file changed or is not listed.</exception>
    public byte[] ReadVerifiedBytes(string relativePath)
    {
        var entry = RequireListed(relativePath, "the caller");
        var path = ResolveExisting(entry.Path);
        var bytes = File.ReadAllBytes(path);
        CheckSize(entry, bytes.LongLength);
        CheckHash(entry, SHA256.HashData(bytes));
        return bytes;
    }

    /// <summary>The asset with the given role (see <see cref="BundleManifest.Assets"/>).</summary>
    /// <exception cref="BundleFormatException">The bundle has no such asset.</exception>
    public AssetSpec GetAsset(string role) =>
        Manifest.Assets is { } assets && assets.TryGetValue(role, out var asset)
            ? asset
            : throw new BundleFormatException(ManifestJson.FileName,
                $"Bundle '{Manifest.Name}' (kind \"{Manifest.Kind}\") has no \"{role}\" asset; it has [{string.Join(", ", Manifest.Assets?.Keys ?? [])}]. Re-export the bundle with it.");

    /// <summary>
    /// Reads an asset and checks its size and SHA-256 again on the bytes returned (like
    /// <see cref="ReadVerifiedBytes"/>); wrap them in a <see cref="MemoryStream"/> for readers that take a stream.
    /// </summary>
    /// <exception cref="BundleFormatException">The bundle has no such asset.</exception>
    /// <exception cref="BundleIntegrityException">The file changed after loading.</exception>
    public byte[] ReadVerifiedAsset(string role) => ReadVerifiedBytes(GetAsset(role).File);

    /// <summary>
    /// Hashes a listed file again (streaming, nothing kept in memory), for files ONNX Runtime reads
    /// from disk itself (external data).
    /// </summary>
    internal void VerifyAgain(string relativePath) => VerifyStreaming(RequireListed(relativePath, "the caller"));

    /// <summary>The real folder (links resolved, inside the bundle) that holds a graph file and its external data.</summary>
    internal string GraphFolder(GraphSpec graph)
    {
        var folder = ManifestValidator.FolderOf(graph.File);
        return folder.Length == 0 ? _realRoot : BundlePaths.Resolve(_realRoot, folder);
    }

    /// <summary>Checks an opset / IR version pair against <see cref="RuntimeSupport"/>.</summary>
    internal static void CheckVersions(string file, long opset, long irVersion)
    {
        if (opset > RuntimeSupport.MaxOpset)
        {
            throw new UnsupportedOpsetException(file, "opset", opset, RuntimeSupport.MaxOpset, RuntimeSupport.OnnxRuntimeVersion);
        }

        if (irVersion > RuntimeSupport.MaxIrVersion)
        {
            throw new UnsupportedOpsetException(file, "IR version", irVersion, RuntimeSupport.MaxIrVersion, RuntimeSupport.OnnxRuntimeVersion);
        }
    }

    private static void CheckGraphHeader(GraphSpec graph, byte[] bytes, BundleManifest manifest)
    {
        var file = graph.File;
        var header = OnnxModelHeader.TryRead(bytes)
            ?? throw new BundleFormatException(file, $"'{file}' is not an ONNX model (its protobuf header cannot be read). Re-export the bundle.");
        CheckVersions(file, header.DefaultOpset, header.IrVersion);
        if (header.DefaultOpset != manifest.Opset || header.IrVersion != manifest.IrVersion)
        {
            throw new BundleFormatException(file,
                $"'{file}' declares opset {header.DefaultOpset} and IR version {header.IrVersion}, but manifest.json says opset {manifest.Opset} and IR version {manifest.IrVersion}. Re-export the bundle so they agree.");
        }

        // ONNX Runtime opens external data itself; only files the manifest lists (and so hashed) may be opened.
        var folder = ManifestValidator.FolderOf(file);
        var declared = graph.ExternalData ?? [];
        foreach (var location in header.ExternalDataLocations)
        {
            var path = folder.Length == 0 ? location : folder + "/" + location;
            if (!declared.Contains(path, StringComparer.Ordinal))
            {
                throw new BundleFormatException(file,
                    $"'{file}' keeps weights in the external-data file '{location}', but manifest.json does not list '{path}' in the graph's \"externalData\" [{string.Join(", ", declared)}], so it would be read unverified. Re-export the bundle.");
            }
        }
    }

    private static IReadOnlyList<string> ReadVocabulary(TokenSpec tokens, byte[] bytes)
    {
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new BundleFormatException(tokens.Vocabulary, $"'{tokens.Vocabulary}' is not valid UTF-8. Re-export the bundle.", e);
        }

        var lines = text.Split('\n');
        var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        if (count != tokens.VocabularySize)
        {
            throw new BundleFormatException(tokens.Vocabulary,
                $"'{tokens.Vocabulary}' has {count} words but manifest.json says tokens.vocabularySize {tokens.VocabularySize}. Re-export the bundle.");
        }

        var words = new string[count];
        for (var i = 0; i < count; i++)
        {
            words[i] = lines[i].TrimEnd('\r');
        }

        return Array.AsReadOnly(words);
    }

    private BundleFileEntry RequireListed(string path, string usedBy) =>
        _files.TryGetValue(path, out var entry)
            ? entry
            : throw new BundleIntegrityException(path, null, "not listed",
                $"Bundle file '{path}' is used by {usedBy} but not listed in manifest.json \"files\" with a SHA-256, so it cannot be verified. Re-export the bundle.");

    private string ResolveExisting(string relativePath)
    {
        var path = BundlePaths.Resolve(_realRoot, relativePath);
        if (!File.Exists(path))
        {
            throw new BundleFileMissingException(relativePath, Directory);
        }

        return path;
    }

    private void VerifyStreaming(BundleFileEntry entry)
    {
        var path = ResolveExisting(entry.Path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        CheckSize(entry, stream.Length);
        CheckHash(entry, SHA256.HashData(stream));
    }

    private static void CheckSize(BundleFileEntry entry, long actual)
    {
        if (actual != entry.Bytes)
        {
            throw new BundleIntegrityException(entry.Path, entry.Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                actual.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"Bundle file '{entry.Path}' has {actual} bytes but manifest.json says {entry.Bytes}: it was truncated or changed after export. Copy the bundle again from its source, or re-export it.");
        }
    }

    private static void CheckHash(BundleFileEntry entry, byte[] hash)
    {
        var actual = Convert.ToHexString(hash).ToLowerInvariant();
        if (!string.Equals(actual, entry.Sha256, StringComparison.Ordinal))
        {
            throw new BundleIntegrityException(entry.Path, entry.Sha256, actual,
                $"Bundle file '{entry.Path}' failed its SHA-256 check (manifest.json says {entry.Sha256}, the file has {actual}): it was damaged or changed after export. Copy the bundle again from its source, or re-export it.");
        }
    }
}
