namespace LangBridge.Runtime;

/// <summary>
/// An 8-bit image in interleaved row-major order (<c>H×W×C</c>: for RGB, <c>r g b r g b …</c>),
/// the layout image codecs produce. Already resized and channel-converted to the bundle's image
/// (LangBridge.Imaging does that); <see cref="ImageNormalizer"/> turns it into model input.
/// </summary>
public sealed record PixelImage
{
    /// <summary>Creates a pixel image, checking that the buffer holds exactly <c>width × height × channels</c> bytes.</summary>
    /// <exception cref="InputShapeException">The buffer length does not match the size.</exception>
    public PixelImage(int width, int height, int channels, ReadOnlyMemory<byte> pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if ((long)width * height * channels != pixels.Length)
        {
            throw new InputShapeException("pixel buffer length", $"{(long)width * height * channels} bytes ({width}×{height}×{channels}, W×H×C)", $"{pixels.Length} bytes");
        }

        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Channels per pixel: 1 (gray), 3 (RGB) or 4 (RGBA).</summary>
    public int Channels { get; }

    /// <summary>The pixel bytes, interleaved, row-major, no row padding.</summary>
    public ReadOnlyMemory<byte> Pixels { get; }
}
