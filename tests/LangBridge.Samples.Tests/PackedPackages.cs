using System.Diagnostics;
using System.Globalization;

namespace LangBridge.Samples.Tests;

/// <summary>
/// Once per test class: exports the committed reference model to a bundle with the CLI, and packs
/// LangBridge.Runtime, LangBridge.Imaging and LangBridge.Models.LqaeReference into a temporary
/// <c>artifacts/packages</c> with a unique prerelease version (so no NuGet cache can serve a stale copy).
/// The temporary folder mirrors the repository layout, so the sample's own NuGet.config
/// (<c>../../artifacts/packages</c>) finds the packages unchanged.
/// </summary>
public sealed class PackedPackages : IDisposable
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(4);
    private readonly List<string> _log = [];
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    public PackedPackages()
    {
        Root = FindRepositoryRoot();
        Version = $"0.1.0-test.{DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture)}";
        Temp = Path.Combine(Path.GetTempPath(), $"langbridge-samples-{Guid.NewGuid():N}");
        PackagesDir = Path.Combine(Temp, "artifacts", "packages");
        BundleDir = Path.Combine(Temp, "bundles", "lqae-reference");
        Directory.CreateDirectory(PackagesDir);
        try
        {
            Pack();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{e.Message}\n--- progress ---\n{Log}", e);
        }
    }

    public string Root { get; }

    public string Version { get; }

    public string Temp { get; }

    public string PackagesDir { get; }

    public string BundleDir { get; }

    /// <summary>What was done so far, with times: tests print it.</summary>
    public string Log
    {
        get { lock (_log) return string.Join('\n', _log); }
    }

    public string Package(string id) => Path.Combine(PackagesDir, $"{id}.{Version}.nupkg");

    public void Progress(string message)
    {
        var line = $"[{_watch.Elapsed.TotalSeconds,6:0.0} s] {message}";
        lock (_log) _log.Add(line);
        Console.Error.WriteLine($"LangBridge.Samples.Tests {line}");
    }

    /// <summary>Runs <c>dotnet args…</c>; fails with the command's last output lines when it fails.</summary>
    internal ProcessRunner.Result Dotnet(string what, string workingDirectory, params string[] arguments)
    {
        Progress($"{what}: dotnet {string.Join(' ', arguments.Select(a => a.Contains(' ') ? $"\"{a}\"" : a))}");
        var result = ProcessRunner.Run(workingDirectory, arguments, StepTimeout);
        Progress($"{what}: exit {result.ExitCode} after {result.Elapsed.TotalSeconds:0.0} s");
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{what} failed (exit code {result.ExitCode}):\n{result.Tail()}");
        return result;
    }

    private void Pack()
    {
        Progress($"repository {Root}; package version {Version}; temporary folder {Temp}");
        var cli = CliDll(Root);
        Dotnet("export the reference bundle", Root, cli, "export",
            "--recipe", "models/lqae-reference.json", "--checkpoint", "models/lqae-reference.lbck",
            "--vocabulary", "models/lqae-reference.vocab.txt", "-o", BundleDir);

        // Packed in this test's configuration, so the outputs the solution build made are reused, not rebuilt.
        string[] common = ["-c", Configuration, $"-p:PackageVersion={Version}", "-o", PackagesDir, "-nodeReuse:false", "-v:minimal"];
        Dotnet("pack LangBridge.Imaging", Root, ["pack", "src/LangBridge.Imaging/LangBridge.Imaging.csproj", .. common]);
        Dotnet("pack LangBridge.Runtime", Root, ["pack", "src/LangBridge.Runtime/LangBridge.Runtime.csproj", .. common]);
        Dotnet("pack LangBridge.Models.LqaeReference", Root,
            ["pack", "src/LangBridge.Models/LangBridge.Models.csproj", .. common, "-p:ModelName=lqae-reference", $"-p:BundleDir={BundleDir}"]);
        foreach (var file in Directory.GetFiles(PackagesDir).Order(StringComparer.Ordinal))
            Progress($"  {Path.GetFileName(file)}: {new FileInfo(file).Length / 1024.0:N1} KB");
    }

    /// <summary>Release or Debug, as this test assembly was built (artifacts/bin/&lt;project&gt;/&lt;config&gt;/).</summary>
    private static string Configuration =>
        new DirectoryInfo(AppContext.BaseDirectory).Name.Equals("debug", StringComparison.OrdinalIgnoreCase) ? "Debug" : "Release";

    /// <summary>The folder holding LangBridge.slnx, found from the test assembly's location.</summary>
    public static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LangBridge.slnx"))) return dir.FullName;
        throw new InvalidOperationException("LangBridge.slnx not found above the test assembly.");
    }

    /// <summary>The built CLI, in this test's configuration if built so, else Release, else Debug.</summary>
    private static string CliDll(string root)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Name;   // artifacts/bin/<project>/<config>/
        var candidates = new[] { configuration, "release", "debug" }
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(c => Path.Combine(root, "artifacts", "bin", "LangBridge.Cli", c.ToLowerInvariant(), "langbridge.dll"))
            .ToArray();
        return candidates.FirstOrDefault(File.Exists)
               ?? throw new InvalidOperationException(
                   $"The langbridge CLI is not built (looked for {string.Join(", ", candidates)}). Build it first: " +
                   "dotnet build src/LangBridge.Cli -c Release (./build.sh --target=Test builds the whole solution before testing).");
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Temp)) Directory.Delete(Temp, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing the run for.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
