using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using LangBridge.Data;
using LangBridge.Imaging;
using LangBridge.Runtime;
using Xunit.Abstractions;

namespace LangBridge.Samples.Tests;

/// <summary>
/// The packages as users get them: the lean runtime's dependencies and size, the model package's layout,
/// and the sample consumer (samples/LangBridge.Sample) built from the packed packages reproducing the golden ids.
/// </summary>
[Collection(PackedCollection.Name)]
public sealed class PackagingTests(PackedPackages packed, ITestOutputHelper output)
{
    private const string ManagedOnnxRuntime = "Microsoft.ML.OnnxRuntime.Managed";
    // The budget catches codecs, tables or dependencies creeping into the lean runtime. Raised from 200 KB when the
    // runtime gained LQAE-BERT's features beside CLIPPO's renderer and embedders (214,016 bytes on net10.0 then).
    private const long MaxRuntimeAssemblyBytes = 256 * 1024;

    [Fact]
    public void Runtime_package_depends_only_on_the_managed_onnx_runtime_and_its_assembly_is_under_256_KB()
    {
        output.WriteLine(packed.Log);
        var path = packed.Package("LangBridge.Runtime");
        Assert.True(File.Exists(path), $"{path} was not produced");
        using var zip = ZipFile.OpenRead(path);
        var metadata = Nuspec(zip).Root!.Elements().Single(e => e.Name.LocalName == "metadata");

        Assert.Equal("LangBridge.Runtime", Child(metadata, "id")?.Value);
        Assert.Equal(packed.Version, Child(metadata, "version")?.Value);

        var libFrameworks = zip.Entries
            .Where(e => e.FullName.StartsWith("lib/", StringComparison.Ordinal) && e.Name == "LangBridge.Runtime.dll")
            .ToDictionary(e => e.FullName.Split('/')[1], e => e.Length);
        Assert.NotEmpty(libFrameworks);
        foreach (var (framework, bytes) in libFrameworks)
        {
            output.WriteLine($"lib/{framework}/LangBridge.Runtime.dll: {bytes:N0} bytes");
            Assert.True(bytes < MaxRuntimeAssemblyBytes, $"lib/{framework}/LangBridge.Runtime.dll is {bytes:N0} bytes, limit {MaxRuntimeAssemblyBytes:N0}");
        }

        // One set of dependency groups: one group per target framework of lib/, nothing outside groups,
        // and in every group exactly one package: the managed ONNX Runtime at the repository's version range,
        // which both the CPU native package (1.31.1) and the GPU ones (1.31.0) satisfy.
        var dependencies = Child(metadata, "dependencies");
        Assert.NotNull(dependencies);
        Assert.DoesNotContain(dependencies.Elements(), e => e.Name.LocalName != "group");
        var groups = dependencies.Elements().Where(e => e.Name.LocalName == "group").ToList();
        var groupFrameworks = groups.Select(g => (string?)g.Attribute("targetFramework") ?? "").ToList();
        Assert.Equal(libFrameworks.Keys.Order(StringComparer.Ordinal), groupFrameworks.Order(StringComparer.Ordinal));
        var expectedVersion = CentralVersion(packed.Root, ManagedOnnxRuntime);
        Assert.Equal("[1.31.0, 2.0.0)", expectedVersion);
        Assert.True(RangeAdmits(expectedVersion, new Version(1, 31, 0)) && RangeAdmits(expectedVersion, new Version(1, 31, 1)),
            $"{expectedVersion} must admit the GPU packages' 1.31.0 and the CPU package's 1.31.1");
        Assert.False(RangeAdmits(expectedVersion, new Version(2, 0, 0)));
        foreach (var group in groups)
        {
            var packages = group.Elements().Where(e => e.Name.LocalName == "dependency")
                .Select(d => $"{(string?)d.Attribute("id")} {(string?)d.Attribute("version")}").ToList();
            output.WriteLine($"group {(string?)group.Attribute("targetFramework")}: {string.Join(", ", packages)}");
            Assert.Equal([$"{ManagedOnnxRuntime} {expectedVersion}"], packages);
        }

        // What the package page shows: readme, licence, repository; and the symbols package beside it.
        Assert.Equal("README.md", Child(metadata, "readme")?.Value);
        Assert.NotNull(zip.GetEntry("README.md"));
        Assert.Equal("MIT", Child(metadata, "license")?.Value);
        Assert.NotNull(Child(metadata, "repository"));
        Assert.True(File.Exists(Path.ChangeExtension(path, ".snupkg")), "no symbols package (.snupkg) beside the runtime package");
    }

    [Fact]
    public void The_cli_exports_a_version_2_bundle_whose_seal_survives_a_rewritten_parity_report()
    {
        // export seals, verify writes parity.json afterwards (here: twice, as a rerun would), the bundle still loads.
        var copy = Path.Combine(packed.Temp, "parity-rewrite", "lqae-reference");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(packed.BundleDir))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(copy, BundleManifest.ParityReportFile), "{ \"passed\": false }");
        Assert.NotNull(ModelBundle.Load(copy));
        File.WriteAllText(Path.Combine(copy, BundleManifest.ParityReportFile), "{ \"passed\": true }");

        var bundle = ModelBundle.Load(copy);

        Assert.Equal(2, bundle.Manifest.FormatVersion);
        Assert.DoesNotContain(bundle.Manifest.Files, f => f.Path == BundleManifest.ParityReportFile);
        Assert.Equal("latents", bundle.GetGraph("encoder").FindOutput(TensorMeaning.Latents)?.Name);
        Assert.NotNull(bundle.GetGraph("quantizer").FindOutput(TensorMeaning.TokenIds));
        Assert.NotNull(bundle.GetGraph("decoder").FindOutput(TensorMeaning.Image));
    }

    [Fact]
    public void Model_package_carries_the_bundle_as_content_copied_to_the_output_and_depends_on_the_same_runtime()
    {
        output.WriteLine(packed.Log);
        using var zip = ZipFile.OpenRead(packed.Package("LangBridge.Models.LqaeReference"));
        var metadata = Nuspec(zip).Root!.Elements().Single(e => e.Name.LocalName == "metadata");

        var bundleFiles = Directory.GetFiles(packed.BundleDir).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        var contentPrefix = "contentFiles/any/any/bundles/lqae-reference/";
        var packedFiles = zip.Entries.Where(e => e.FullName.StartsWith(contentPrefix, StringComparison.Ordinal))
            .Select(e => e.FullName[contentPrefix.Length..]).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("manifest.json", bundleFiles);
        Assert.Equal(bundleFiles, packedFiles);
        foreach (var file in bundleFiles)
        {
            using var packedStream = zip.GetEntry(contentPrefix + file)!.Open();
            using var memory = new MemoryStream();
            packedStream.CopyTo(memory);
            Assert.True(memory.ToArray().AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(packed.BundleDir, file))), $"{file} differs from the exported bundle");
        }

        var contentRules = Child(metadata, "contentFiles")!.Elements().ToList();
        Assert.Equal(bundleFiles.Count, contentRules.Count);
        Assert.All(contentRules, rule =>
        {
            Assert.Equal("None", (string?)rule.Attribute("buildAction"));
            Assert.Equal("true", (string?)rule.Attribute("copyToOutput"));
        });
        Assert.NotNull(zip.GetEntry("build/LangBridge.Models.LqaeReference.targets"));
        Assert.NotNull(zip.GetEntry("buildTransitive/LangBridge.Models.LqaeReference.targets"));
        Assert.DoesNotContain(zip.Entries, e => e.FullName.StartsWith("lib/", StringComparison.Ordinal));

        var runtimeDependencies = Child(metadata, "dependencies")!.Descendants().Where(e => e.Name.LocalName == "dependency").ToList();
        Assert.NotEmpty(runtimeDependencies);
        Assert.All(runtimeDependencies, d =>
        {
            Assert.Equal("LangBridge.Runtime", (string?)d.Attribute("id"));
            Assert.Equal(packed.Version, (string?)d.Attribute("version"));
        });
    }

    [Fact]
    public void Sample_built_from_the_packages_prints_the_golden_token_ids_for_the_fixture_images()
    {
        var root = packed.Root;
        var golden = Path.Combine(root, "tests", "LangBridge.Training.Tests", "Golden");
        var fixtures = Path.Combine(golden, "fixtures-images-idx3-ubyte");
        long[] expected;
        long[] shape;
        using (var file = Safetensors.Open(Path.Combine(golden, "lqae-reference.golden.safetensors")))
        {
            shape = file.Get("token_ids").Shape;
            expected = file.ReadInt64("token_ids");
        }

        Assert.Equal(2, shape.Length);
        int count = (int)shape[0], perImage = (int)shape[1];
        var vocabulary = File.ReadAllText(Path.Combine(root, "models", "lqae-reference.vocab.txt")).TrimEnd('\n').Split('\n');

        // The sample as committed, in a folder laid out like the repository (samples/<name>, artifacts/packages).
        var sample = Path.Combine(packed.Temp, "samples", "LangBridge.Sample");
        Directory.CreateDirectory(sample);
        foreach (var file in Directory.GetFiles(Path.Combine(root, "samples", "LangBridge.Sample")))
            File.Copy(file, Path.Combine(sample, Path.GetFileName(file)));

        // One more input as a PNG file, through LangBridge.Imaging from its package: fixture image 7 again.
        const int pngFixture = 7;
        var idx = File.ReadAllBytes(fixtures);
        var png = Path.Combine(packed.Temp, "fixture-7.png");
        File.WriteAllBytes(png, ImagePreprocessor.EncodePng(new PixelImage(28, 28, 1, idx.AsMemory(16 + pngFixture * 784, 784))));

        // Restore into a private package folder (nothing of this test lands in the machine's NuGet cache);
        // packages the machine already has (ONNX Runtime, SkiaSharp) are read from its global folder in place.
        string[] restore = [$"-p:LangBridgeVersion={packed.Version}", $"-p:RestorePackagesPath={Path.Combine(packed.Temp, "nuget")}"];
        var globalPackages = GlobalPackagesFolder();
        if (globalPackages is not null) restore = [.. restore, $"-p:RestoreFallbackFolders={globalPackages}"];
        packed.Dotnet("build the sample", sample, ["build", "-c", "Release", "-nodeReuse:false", "-v:minimal", .. restore]);
        var dll = Path.Combine(sample, "bin", "Release", "net10.0", "langbridge-sample.dll");
        Assert.True(File.Exists(Path.Combine(sample, "bin", "Release", "net10.0", "bundles", "lqae-reference", "manifest.json")),
            "the model package did not put bundles/lqae-reference/ in the sample's output folder");
        var run = packed.Dotnet("run the sample", sample, dll, fixtures, png);
        output.WriteLine(packed.Log);
        output.WriteLine(run.StandardError);

        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(count + 1, lines.Length);
        var pattern = new Regex(@"^(\d+): ([0-9 ]+) \| (.*)$");
        for (var i = 0; i < lines.Length; i++)
        {
            var match = pattern.Match(lines[i]);
            Assert.True(match.Success, $"line {i} is not '<index>: <ids> | <words>': {lines[i]}");
            Assert.Equal(i, int.Parse(match.Groups[1].Value));
            var ids = match.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
            var image = i < count ? i : pngFixture;
            var want = expected.AsSpan(image * perImage, perImage).ToArray();
            Assert.True(want.SequenceEqual(ids),
                $"image {i} (fixture {image}): ids differ from the golden ones\n  golden: {string.Join(' ', want)}\n  sample: {string.Join(' ', ids)}");
            Assert.Equal(string.Join(' ', ids.Select(id => vocabulary[id])), match.Groups[3].Value);
        }

        output.WriteLine($"{lines.Length} lines, every id equal to the golden token_ids [{count}, {perImage}]");
    }

    /// <summary>Whether a NuGet interval "[a, b)" (inclusive/exclusive brackets) admits a version.</summary>
    private static bool RangeAdmits(string range, Version version)
    {
        var bounds = range.Trim('[', ']', '(', ')').Split(',', StringSplitOptions.TrimEntries);
        var low = Version.Parse(bounds[0]);
        var high = Version.Parse(bounds[1]);
        var aboveLow = range[0] == '[' ? version >= low : version > low;
        var belowHigh = range[^1] == ']' ? version <= high : version < high;
        return aboveLow && belowHigh;
    }

    internal static XDocument Nuspec(ZipArchive zip)
    {
        var entry = zip.Entries.Single(e => !e.FullName.Contains('/') && e.Name.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
        using var stream = entry.Open();
        return XDocument.Load(stream);
    }

    private static XElement? Child(XElement parent, string name) => parent.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    private static string CentralVersion(string root, string id) =>
        XDocument.Load(Path.Combine(root, "Directory.Packages.props")).Descendants()
            .Where(e => e.Name.LocalName == "PackageVersion" && (string?)e.Attribute("Include") == id)
            .Select(e => (string?)e.Attribute("Version"))
            .Single() ?? throw new InvalidOperationException($"{id} has no version in Directory.Packages.props");

    /// <summary>The machine's NuGet global packages folder, or null if there is none yet.</summary>
    internal static string? GlobalPackagesFolder()
    {
        var folder = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Directory.Exists(folder) ? folder : null;
    }
}
