namespace LangBridge.Imaging;

/// <summary>Limits on the images <see cref="ImageDecoder"/> accepts.</summary>
public sealed record ImageDecodeOptions
{
    /// <summary>64,000,000 pixels (8,000 × 8,000): about 256 MB of RGBA while decoding.</summary>
    public const long DefaultMaxPixels = 64_000_000;

    /// <summary>The options every constructor uses when given none.</summary>
    public static ImageDecodeOptions Default { get; } = new();

    /// <summary>
    /// Largest width × height an image's header may claim; checked before anything is allocated.
    /// Default <see cref="DefaultMaxPixels"/>.
    /// </summary>
    public long MaxPixels
    {
        get => _maxPixels;
        init => _maxPixels = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxPixels), value, "MaxPixels must be positive.");
    }

    private readonly long _maxPixels = DefaultMaxPixels;
}
