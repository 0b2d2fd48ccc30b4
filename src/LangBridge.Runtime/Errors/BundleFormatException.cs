namespace LangBridge.Runtime;

/// <summary>
/// The bundle's <c>manifest.json</c> is unreadable, misses a required field, contradicts itself or
/// contradicts the graphs it describes. Re-export the bundle with a matching LangBridge version.
/// </summary>
public sealed class BundleFormatException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="file">The bundle file at fault (usually <c>manifest.json</c>).</param>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The underlying parser error, if any.</param>
    public BundleFormatException(string file, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        File = file;
    }

    /// <summary>The bundle file at fault, relative to the bundle folder.</summary>
    public string File { get; }
}
