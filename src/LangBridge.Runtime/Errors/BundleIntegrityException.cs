namespace LangBridge.Runtime;

/// <summary>
/// A bundle file's size or SHA-256 differs from the manifest, or a file the bundle uses is not
/// listed with a hash at all. The file was damaged or changed after export: copy the bundle again
/// from its source, or re-export it. The runtime never loads such a bundle.
/// </summary>
public sealed class BundleIntegrityException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file at fault, relative to the bundle folder.</param>
    /// <param name="expected">What the manifest says (hash or size), or <c>null</c> when unlisted.</param>
    /// <param name="actual">What the file has.</param>
    /// <param name="message">The full message.</param>
    public BundleIntegrityException(string path, string? expected, string actual, string message)
        : base(message)
    {
        Path = path;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The file at fault, relative to the bundle folder.</summary>
    public string Path { get; }

    /// <summary>The manifest's value (SHA-256 or byte count), or <c>null</c> if the file is not listed.</summary>
    public string? Expected { get; }

    /// <summary>The value measured on disk.</summary>
    public string Actual { get; }
}
