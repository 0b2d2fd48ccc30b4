using System.Security.Cryptography;

namespace LangBridge.Runtime;

/// <summary>
/// Helpers for writers of bundles (the exporter): list a folder's files with sizes and SHA-256,
/// and seal a bundle by writing its validated <c>manifest.json</c>.
/// </summary>
public static class BundleWriter
{
    /// <summary>
    /// Lists every regular file under <paramref name="bundleDirectory"/> (recursively, sorted by
    /// ordinal path, '/' separators) except <c>manifest.json</c> and the parity report
    /// <c>parity.json</c> (a report, rewritten by <c>langbridge verify</c>, not part of the seal), with size and SHA-256.
    /// </summary>
    /// <exception cref="BundlePathException">The folder contains a symbolic link (a bundle must be self-contained).</exception>
    public static IReadOnlyList<BundleFileEntry> ComputeFiles(string bundleDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(bundleDirectory);
        var root = Path.GetFullPath(bundleDirectory);
        var entries = new List<BundleFileEntry>();
        foreach (var info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            var relative = BundlePaths.ToRelative(root, info.FullName);
            if (info.LinkTarget is not null)
            {
                throw new BundlePathException(relative, "it is a symbolic link; copy the file into the bundle instead");
            }

            if (info is FileInfo file && relative != ManifestJson.FileName && relative != BundleManifest.ParityReportFile &&
                !relative.StartsWith(ManifestJson.FileName + ".tmp-", StringComparison.Ordinal))
            {
                entries.Add(Describe(file.FullName, relative));
            }
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return entries;
    }

    /// <summary>Describes one file of a bundle (size and SHA-256).</summary>
    /// <param name="bundleDirectory">The bundle folder.</param>
    /// <param name="relativePath">The file, relative to the folder, '/' separators.</param>
    public static BundleFileEntry DescribeFile(string bundleDirectory, string relativePath)
    {
        BundlePaths.ThrowIfInvalid(relativePath);
        var full = Path.Join(Path.GetFullPath(bundleDirectory), relativePath.Replace('/', Path.DirectorySeparatorChar));
        if (!File.Exists(full))
        {
            throw new BundleFileMissingException(relativePath, bundleDirectory);
        }

        return Describe(full, relativePath);
    }

    /// <summary>
    /// Seals a bundle: sets <see cref="BundleManifest.Files"/> to <see cref="ComputeFiles"/> of the
    /// folder, checks that the manifest is a valid version 2 manifest (and fits its kind's API when
    /// the runtime serves the kind) and that every graph, external-data file, asset and the vocabulary
    /// exist, then writes <c>manifest.json</c> atomically. Returns the manifest as written.
    /// </summary>
    /// <exception cref="BundleFormatException">The manifest is invalid, not version 2, or does not fit its kind.</exception>
    /// <exception cref="BundleFileMissingException">A file the manifest uses is not in the folder.</exception>
    public static BundleManifest Seal(string bundleDirectory, BundleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.FormatVersion != RuntimeSupport.FormatVersion)
        {
            throw new BundleFormatException(ManifestJson.FileName,
                $"BundleWriter writes formatVersion {RuntimeSupport.FormatVersion} only, not {manifest.FormatVersion}. Leave BundleManifest.FormatVersion at its default.");
        }

        var sealedManifest = manifest with { Files = ComputeFiles(bundleDirectory) };
        ManifestValidator.Validate(sealedManifest);
        BundleKinds.Check(sealedManifest);
        var listed = sealedManifest.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var (used, _) in BundleKinds.UsedFiles(sealedManifest))
        {
            if (!listed.Contains(used))
            {
                throw new BundleFileMissingException(used, bundleDirectory);
            }
        }

        ManifestJson.Write(Path.Join(bundleDirectory, ManifestJson.FileName), sealedManifest);
        return sealedManifest;
    }

    private static BundleFileEntry Describe(string fullPath, string relativePath)
    {
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var hash = SHA256.HashData(stream);
        return new BundleFileEntry(relativePath, Convert.ToHexString(hash).ToLowerInvariant(), stream.Length);
    }
}
