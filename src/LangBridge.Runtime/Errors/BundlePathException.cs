namespace LangBridge.Runtime;

/// <summary>
/// A path in the manifest would leave the bundle folder (<c>..</c>, an absolute path, a drive or a
/// symbolic link pointing outside) or is malformed. The runtime refuses it because a bundle must be
/// self-contained; fix or re-export the bundle.
/// </summary>
public sealed class BundlePathException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The offending path as written in the manifest.</param>
    /// <param name="reason">Why it is refused.</param>
    public BundlePathException(string path, string reason)
        : base($"Bundle path '{path}' is refused: {reason}. Paths in manifest.json must be relative, use '/', and stay inside the bundle folder; re-export the bundle.")
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The offending path as written in the manifest.</summary>
    public string Path { get; }

    /// <summary>Why the path is refused.</summary>
    public string Reason { get; }
}
