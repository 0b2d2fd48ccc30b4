using LangBridge.Runtime;

namespace LangBridge.Imaging;

/// <summary>
/// An image file or buffer could not be read or decoded: missing, not an image SkiaSharp reads,
/// truncated or corrupt. The message names the image and the problem. Training (LangBridge.Data's
/// image folders) and serving (<see cref="ImagePreprocessor"/>) both raise this one type.
/// </summary>
public class ImageDecodeException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The file path or a description of the buffer.</param>
    /// <param name="problem">What went wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ImageDecodeException(string source, string problem, Exception? innerException = null)
        : this(source, problem, "Use an intact PNG or JPEG file.", innerException)
    {
    }

    /// <summary>Creates the exception with its own advice on what to do.</summary>
    protected ImageDecodeException(string source, string problem, string advice, Exception? innerException)
        : base($"Cannot read image '{source}': {problem}. {advice}", innerException)
    {
        ImageName = source;
        Problem = problem;
    }

    /// <summary>The file path or buffer description.</summary>
    public string ImageName { get; }

    /// <summary>What went wrong, without the image's name.</summary>
    public string Problem { get; }
}

/// <summary>
/// An image's header claims more pixels than <see cref="ImageDecodeOptions.MaxPixels"/> allows. Raised
/// before any pixel memory is allocated, so a tiny file that claims a huge size (a decompression bomb)
/// costs nothing.
/// </summary>
public sealed class ImageTooLargeException : ImageDecodeException
{
    /// <summary>Creates the exception.</summary>
    public ImageTooLargeException(string source, int width, int height, long maxPixels)
        : base(source, $"its header claims {width:N0}×{height:N0} = {(long)width * height:N0} pixels, more than the limit of {maxPixels:N0}",
               "Shrink the image, or raise ImageDecodeOptions.MaxPixels if it is genuine.", null)
    {
        Width = width;
        Height = height;
        MaxPixels = maxPixels;
    }

    /// <summary>The width the header claims.</summary>
    public int Width { get; }

    /// <summary>The height the header claims.</summary>
    public int Height { get; }

    /// <summary>The limit in force.</summary>
    public long MaxPixels { get; }
}
