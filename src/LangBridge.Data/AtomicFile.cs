using System.Security.Cryptography;

namespace LangBridge.Data;

/// <summary>
/// Writes files all-or-nothing: the content goes to a temporary name beside the target
/// (<c>name.tmp-XXXXXXXX</c>), is flushed to disk, and only then renamed over the target. An
/// interrupted or failed write leaves the previous file (if any) untouched and no half file under
/// the target name.
/// </summary>
public static class AtomicFile
{
    /// <summary>Marker in the names of temporary files; <see cref="DeleteLeftovers"/> removes them.</summary>
    public const string TempMarker = ".tmp-";

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + TempMarker + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes bytes atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Writes UTF-8 text (no BOM) atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, new System.Text.UTF8Encoding(false).GetBytes(text));

    /// <summary>Moves a finished file into place (replacing the target) by copying it to a temporary name first when the rename would cross file systems.</summary>
    public static void MoveInto(string source, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
        try
        {
            File.Move(source, target, overwrite: true);
        }
        catch (IOException)
        {
            Write(target, s => { using var src = File.OpenRead(source); src.CopyTo(s); });
            TryDelete(source);
        }
    }

    /// <summary>Deletes temporary files left by interrupted writes under <paramref name="dir"/>.</summary>
    public static int DeleteLeftovers(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        int n = 0;
        foreach (var f in Directory.EnumerateFiles(dir, "*" + TempMarker + "*", SearchOption.AllDirectories))
            if (TryDelete(f)) n++;
        return n;
    }

    private static bool TryDelete(string path)
    {
        try { File.Delete(path); return true; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
