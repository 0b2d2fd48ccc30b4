namespace LangBridge.Runtime;

/// <summary>
/// A file the bundle needs (the manifest itself, or a file listed in it) is not in the bundle
/// folder. Copy the complete bundle folder again.
/// </summary>
public sealed class BundleFileMissingException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The missing file, relative to the bundle folder.</param>
    /// <param name="bundleDirectory">The bundle folder.</param>
    public BundleFileMissingException(string path, string bundleDirectory)
        : base($"Bundle file '{path}' is missing from '{bundleDirectory}'. The manifest lists it; copy the complete bundle folder again (or re-export it).")
    {
        Path = path;
        BundleDirectory = bundleDirectory;
    }

    /// <summary>The missing file, relative to the bundle folder.</summary>
    public string Path { get; }

    /// <summary>The bundle folder that was searched.</summary>
    public string BundleDirectory { get; }
}
