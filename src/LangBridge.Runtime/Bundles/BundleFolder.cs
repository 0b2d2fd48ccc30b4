namespace LangBridge.Runtime;

/// <summary>
/// How exporters replace a bundle folder: everything is written into a staging folder beside the target
/// (<see cref="Stage"/>), sealed there, and moved into place whole (<see cref="Publish"/>), so a bundle is
/// never a mix of two exports and a failed export leaves the previous bundle as it was.
/// </summary>
public static class BundleFolder
{
    /// <summary>
    /// Creates a fresh staging folder for <paramref name="target"/>. Refuses a target that exists and is neither
    /// a bundle nor empty: replacing it could delete someone's files.
    /// </summary>
    /// <exception cref="IOException">The target holds files but no <c>manifest.json</c>.</exception>
    public static string Stage(string target)
    {
        target = Path.GetFullPath(target);
        if (Directory.Exists(target) && !File.Exists(Path.Combine(target, ManifestJson.FileName)) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"'{target}' exists and is not a bundle (no {ManifestJson.FileName}); export into an empty or new folder");
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        return staging;
    }

    /// <summary>Moves the complete <paramref name="staging"/> folder to <paramref name="target"/>, replacing what was there; on failure the old bundle is put back.</summary>
    public static void Publish(string staging, string target)
    {
        target = Path.GetFullPath(target);
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }
        var old = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
        Directory.Move(target, old);
        try
        {
            Directory.Move(staging, target);
        }
        catch
        {
            Directory.Move(old, target);
            throw;
        }
        Directory.Delete(old, recursive: true);
    }

    /// <summary>Deletes a staging folder an export gave up on.</summary>
    public static void Discard(string staging)
    {
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
    }
}
