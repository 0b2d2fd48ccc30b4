using LangBridge.Runtime;

namespace LangBridge.Imaging;

/// <summary>An image file or buffer could not be read, decoded or scaled. The message names it.</summary>
public sealed class ImageDecodeException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The file path or a description of the buffer.</param>
    /// <param name="problem">What went wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ImageDecodeException(string source, string problem, Exception? innerException = null)
        : base($"Cannot read image '{source}': {problem}. Use a PNG or JPEG file.", innerException)
    {
        ImageName = source;
    }

    /// <summary>The file path or buffer description.</summary>
    public string ImageName { get; }
}
