namespace LangBridge.Runtime;

/// <summary>
/// Keeps every manifest path inside the bundle folder: refuses malformed, absolute and <c>..</c>
/// paths by syntax, then resolves symbolic links component by component so that a link pointing
/// outside the folder is refused too.
/// </summary>
internal static class BundlePaths
{
    private const int MaxLinkDepth = 32;

    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>Throws <see cref="BundlePathException"/> if the manifest path is not a plain relative path.</summary>
    public static void ThrowIfInvalid(string path)
    {
        if (SyntaxProblem(path) is { } reason)
        {
            throw new BundlePathException(path, reason);
        }
    }

    private static string? SyntaxProblem(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "it is empty";
        }

        if (path.Contains('\0'))
        {
            return "it contains a NUL character";
        }

        if (path.Contains('\\'))
        {
            return "it contains '\\' (use '/' as the separator)";
        }

        // ':' covers Windows drives ("C:x") and alternate data streams ("a:b").
        if (path.StartsWith('/') || path.Contains(':') || Path.IsPathRooted(path))
        {
            return "it is absolute";
        }

        foreach (var segment in path.Split('/'))
        {
            switch (segment)
            {
                case "..":
                    return "it contains '..' and would leave the bundle folder";
                case ".":
                case "":
                    return "it contains an empty or '.' segment";
            }
        }

        return null;
    }

    /// <summary>Resolves a bundle folder to its real path (all symbolic links followed).</summary>
    public static string RealRoot(string directory) => RealPath(Path.GetFullPath(directory), 0);

    /// <summary>
    /// Returns the real location of a manifest path inside <paramref name="realRoot"/>, or throws
    /// <see cref="BundlePathException"/> if the path, after following links, lies outside it.
    /// </summary>
    public static string Resolve(string realRoot, string relativePath)
    {
        ThrowIfInvalid(relativePath);
        var joined = Path.Join(realRoot, relativePath.Replace('/', Path.DirectorySeparatorChar));
        string real;
        try
        {
            real = RealPath(joined, 0);
        }
        catch (IOException e)
        {
            throw new BundlePathException(relativePath, $"its symbolic links cannot be resolved ({e.Message})");
        }

        var prefix = realRoot.EndsWith(Path.DirectorySeparatorChar) ? realRoot : realRoot + Path.DirectorySeparatorChar;
        if (!real.StartsWith(prefix, PathComparison))
        {
            throw new BundlePathException(relativePath, $"it resolves through a symbolic link to '{real}', outside the bundle folder");
        }

        return real;
    }

    /// <summary>The bundle-relative form ('/' separators) of a path under <paramref name="realRoot"/>.</summary>
    public static string ToRelative(string realRoot, string fullPath) =>
        Path.GetRelativePath(realRoot, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    // Walks the path one component at a time and replaces every symbolic link by its (recursively
    // resolved) target, like realpath(3). Components that do not exist are kept as written, so a
    // missing file is reported as missing rather than as a path problem.
    private static string RealPath(string fullPath, int depth)
    {
        if (depth > MaxLinkDepth)
        {
            throw new IOException("too many levels of symbolic links");
        }

        var root = Path.GetPathRoot(fullPath) ?? string.Empty;
        var parts = fullPath[root.Length..].Split(
            [Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Join(current, parts[i]);
            var link = new FileInfo(next).LinkTarget;
            if (link is null)
            {
                current = next;
                continue;
            }

            var target = Path.IsPathRooted(link) ? link : Path.Join(current, link);
            current = RealPath(Path.GetFullPath(target), depth + 1);
        }

        return current;
    }
}
