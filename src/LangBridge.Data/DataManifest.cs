using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LangBridge.Data;

/// <summary>Where a cached file came from: a Debian or npm package and its version.</summary>
/// <param name="Kind">"debian" or "npm".</param>
/// <param name="Package">Package name.</param>
/// <param name="Version">Package version.</param>
public sealed record ManifestSource(string Kind, string Package, string Version);

/// <summary>One cached file in the manifest.</summary>
/// <param name="Path">Path relative to the data root, with '/' separators.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the content.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Component">The component that wrote it ("fashion-mnist", "codebook").</param>
/// <param name="Description">What it holds, e.g. "60000 x 28 x 28 u8".</param>
/// <param name="Source">Source package and version.</param>
public sealed record ManifestFile(string Path, string Sha256, long Size, string Component, string Description, ManifestSource Source);

/// <summary>How a component was built: its source and the parameters that shaped it (e.g. vocabulary size).</summary>
public sealed record ManifestComponent(ManifestSource Source, IReadOnlyDictionary<string, string> Parameters, DateTimeOffset CreatedUtc);

/// <summary>
/// <c>artifacts/data/manifest.json</c>: every cached file with its SHA-256, size, source package and
/// version, plus each component's build parameters. Written atomically, after the files it lists:
/// a file that does not match its entry marks the component as needing a fetch.
/// </summary>
public sealed class DataManifest
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,   // the manifest is read by people too: keep '+' and '~' readable
    };

    /// <summary>Manifest format version.</summary>
    public int FormatVersion { get; init; } = 1;

    /// <summary>Components by name.</summary>
    public Dictionary<string, ManifestComponent> Components { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Every cached file.</summary>
    public List<ManifestFile> Files { get; init; } = [];

    /// <summary>Reads a manifest; a missing or unreadable one yields an empty manifest (everything will be fetched).</summary>
    public static DataManifest Load(string path)
    {
        if (!File.Exists(path)) return new DataManifest();
        try
        {
            return JsonSerializer.Deserialize<DataManifest>(File.ReadAllBytes(path), Json) ?? new DataManifest();
        }
        catch (JsonException)
        {
            return new DataManifest();
        }
    }

    /// <summary>Writes the manifest atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, Json));

    /// <summary>Replaces a component's record and file entries.</summary>
    public void SetComponent(string name, ManifestComponent component, IEnumerable<ManifestFile> files)
    {
        Components[name] = component;
        Files.RemoveAll(f => f.Component == name);
        Files.AddRange(files);
        Files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
    }

    /// <summary>The file entries of a component.</summary>
    public IReadOnlyList<ManifestFile> FilesOf(string component) => Files.Where(f => f.Component == component).ToList();
}

/// <summary>State of a cached component.</summary>
public enum CacheState
{
    /// <summary>All files present and matching the manifest.</summary>
    Valid,
    /// <summary>Not in the manifest, or a file is missing.</summary>
    Missing,
    /// <summary>A file's size or SHA-256 does not match the manifest, or it was built with other parameters.</summary>
    Stale,
}

/// <summary>Result of checking one component against the manifest.</summary>
/// <param name="State">Valid, missing or stale.</param>
/// <param name="Reason">Why it is not valid (empty when valid).</param>
public sealed record CacheCheck(CacheState State, string Reason);

/// <summary>Checks cached files against the manifest.</summary>
public static class DataCache
{
    /// <summary>
    /// Checks a component: it must be in the manifest with the same parameters, and every file it lists
    /// must exist with the recorded size and SHA-256.
    /// </summary>
    public static CacheCheck Check(DataLayout layout, DataManifest manifest, string component, IReadOnlyDictionary<string, string>? parameters = null)
    {
        if (!manifest.Components.TryGetValue(component, out var record))
            return new CacheCheck(CacheState.Missing, "not in the manifest");
        if (parameters is not null)
            foreach (var (k, v) in parameters)
                if (!record.Parameters.TryGetValue(k, out var have) || have != v)
                    return new CacheCheck(CacheState.Stale, $"built with {k}={have ?? "?"}, wanted {v}");
        var files = manifest.FilesOf(component);
        if (files.Count == 0) return new CacheCheck(CacheState.Missing, "no files in the manifest");
        foreach (var f in files)
        {
            var full = Path.Combine(layout.Root, f.Path);
            if (!File.Exists(full)) return new CacheCheck(CacheState.Missing, $"{f.Path} is missing");
            long size = new FileInfo(full).Length;
            if (size != f.Size) return new CacheCheck(CacheState.Stale, $"{f.Path} has {size} bytes, the manifest says {f.Size}");
            var hash = Sha256(full);
            if (hash != f.Sha256) return new CacheCheck(CacheState.Stale, $"{f.Path} has SHA-256 {hash[..12]}…, the manifest says {f.Sha256[..Math.Min(12, f.Sha256.Length)]}…");
        }
        return new CacheCheck(CacheState.Valid, "");
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    /// <summary>A manifest entry for a file under the data root.</summary>
    public static ManifestFile Describe(DataLayout layout, string fullPath, string component, string description, ManifestSource source)
    {
        var rel = Path.GetRelativePath(layout.Root, fullPath).Replace('\\', '/');
        return new ManifestFile(rel, Sha256(fullPath), new FileInfo(fullPath).Length, component, description, source);
    }
}
