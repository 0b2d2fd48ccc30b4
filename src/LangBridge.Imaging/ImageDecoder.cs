using System.Runtime.InteropServices;
using LangBridge.Runtime;
using SkiaSharp;

namespace LangBridge.Imaging;

/// <summary>
/// The one implementation of "image file → pixels of a fixed size" that training (LangBridge.Data's
/// image folders) and serving (<see cref="ImagePreprocessor"/>) share, so that a model sees the same
/// bytes in both (see <c>docs/bundle-format.md</c>, "Image preprocessing"):
/// <list type="number">
/// <item>check the header's width × height against <see cref="ImageDecodeOptions.MaxPixels"/>, before allocating;</item>
/// <item>decode with <see cref="SKCodec"/> straight into un-premultiplied RGBA 8888, no colour-space
/// conversion; a truncated or corrupt file is refused, never completed with made-up rows;</item>
/// <item>apply the EXIF orientation, so the model sees the image upright, as a viewer shows it;</item>
/// <item>scale to <see cref="Width"/> × <see cref="Height"/> with bilinear filtering and linear mipmaps
/// (aspect ratio not kept);</item>
/// <item>ignore alpha; 1 channel: BT.601 luma <c>(299 R + 587 G + 114 B + 500) / 1000</c> in integers;
/// 3 channels: R, G, B.</item>
/// </list>
/// Stateless and thread-safe.
/// </summary>
public sealed class ImageDecoder
{
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>Creates a decoder that brings every image to <paramref name="width"/> × <paramref name="height"/> × <paramref name="channels"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or channels is not 1 or 3.</exception>
    public ImageDecoder(int width, int height, int channels, ImageDecodeOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "LangBridge.Imaging handles 1 (gray) or 3 (RGB) channels.");
        }

        Width = width;
        Height = height;
        Channels = channels;
        Options = options ?? ImageDecodeOptions.Default;
    }

    /// <summary>Output width in pixels.</summary>
    public int Width { get; }

    /// <summary>Output height in pixels.</summary>
    public int Height { get; }

    /// <summary>Output channels: 1 (gray) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>The limits in force.</summary>
    public ImageDecodeOptions Options { get; }

    /// <summary>Reads and decodes an image file.</summary>
    /// <exception cref="ImageDecodeException">The file is missing, unreadable, truncated, corrupt or not an image.</exception>
    /// <exception cref="ImageTooLargeException">Its header claims more pixels than the limit.</exception>
    public PixelImage Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, e.Message, e);
        }

        return Decode(bytes, path);
    }

    /// <summary>Decodes encoded image bytes (PNG, JPEG, anything SkiaSharp reads).</summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="name">Names the image in error messages.</param>
    /// <exception cref="ImageDecodeException">The bytes are truncated, corrupt or not an image.</exception>
    /// <exception cref="ImageTooLargeException">The header claims more pixels than the limit.</exception>
    public PixelImage Decode(ReadOnlySpan<byte> encoded, string name = "image bytes")
    {
        using var upright = DecodeUpright(encoded, name);
        return Resample(upright, name);
    }

    /// <summary>Brings an already decoded bitmap (any colour and alpha type) to the output size and channels.</summary>
    /// <exception cref="ImageDecodeException">The bitmap cannot be converted or scaled.</exception>
    public PixelImage FromBitmap(SKBitmap bitmap, string name = "bitmap")
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        using var rgba = new SKBitmap(RgbaInfo(bitmap.Width, bitmap.Height));
        using (var pixmap = bitmap.PeekPixels() ?? throw new ImageDecodeException(name, "the bitmap has no pixels"))
        {
            if (!pixmap.ReadPixels(rgba.Info, rgba.GetPixels(), rgba.RowBytes))
            {
                throw new ImageDecodeException(name, "SkiaSharp cannot convert it to RGBA");
            }
        }

        return Resample(rgba, name);
    }

    /// <summary>Un-premultiplied RGBA 8888 without a colour space: no colour conversion on the way in.</summary>
    private static SKImageInfo RgbaInfo(int width, int height) => new(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);

    private SKBitmap DecodeUpright(ReadOnlySpan<byte> encoded, string name)
    {
        using var data = SKData.CreateCopy(encoded);
        // The codec takes the stream over (SkiaSharp hands its ownership to the codec, or frees it on failure).
        using var codec = SKCodec.Create(new SKMemoryStream(data), out var created);
        if (codec is null)
        {
            throw new ImageDecodeException(name, created == SKCodecResult.IncompleteInput
                ? "the file ends early (truncated) — too early to even start decoding it"
                : "it is not an image SkiaSharp can decode (PNG, JPEG)");
        }

        // The header's size is all a decompression bomb has: refuse it before allocating anything.
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if ((long)width * height > Options.MaxPixels)
        {
            throw new ImageTooLargeException(name, width, height, Options.MaxPixels);
        }

        var bitmap = new SKBitmap(RgbaInfo(width, height));
        try
        {
            var result = codec.GetPixels(bitmap.Info, bitmap.GetPixels());
            if (result != SKCodecResult.Success)
            {
                throw new ImageDecodeException(name, result switch
                {
                    SKCodecResult.IncompleteInput => "the file ends before the image does (truncated); SkiaSharp would fill the missing rows",
                    SKCodecResult.ErrorInInput => "the image data is corrupt",
                    _ => $"SkiaSharp cannot decode it ({result})",
                });
            }

            return Orient(bitmap, codec.EncodedOrigin);
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    /// <summary>Turns a decoded bitmap upright as its EXIF orientation says (exact: pixels are moved, not resampled).</summary>
    private static SKBitmap Orient(SKBitmap stored, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or < SKEncodedOrigin.TopLeft or > SKEncodedOrigin.LeftBottom) return stored;
        var (w, h) = (stored.Width, stored.Height);
        var swaps = origin >= SKEncodedOrigin.LeftTop;
        var upright = new SKBitmap(RgbaInfo(swaps ? h : w, swaps ? w : h));
        var source = MemoryMarshal.Cast<byte, uint>(stored.GetPixelSpan());
        var target = MemoryMarshal.Cast<byte, uint>(upright.GetPixelSpan());
        var (sourceStride, targetStride) = (stored.RowBytes / 4, upright.RowBytes / 4);
        for (var dy = 0; dy < upright.Height; dy++)
        {
            for (var dx = 0; dx < upright.Width; dx++)
            {
                // Where the upright pixel (dx, dy) is stored, for each of the eight EXIF orientations.
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - dx, dy),
                    SKEncodedOrigin.BottomRight => (w - 1 - dx, h - 1 - dy),
                    SKEncodedOrigin.BottomLeft => (dx, h - 1 - dy),
                    SKEncodedOrigin.LeftTop => (dy, dx),
                    SKEncodedOrigin.RightTop => (dy, h - 1 - dx),
                    SKEncodedOrigin.RightBottom => (w - 1 - dy, h - 1 - dx),
                    _ => (w - 1 - dy, dx), // LeftBottom
                };
                target[(dy * targetStride) + dx] = source[(sy * sourceStride) + sx];
            }
        }

        stored.Dispose();
        return upright;
    }

    private PixelImage Resample(SKBitmap rgba, string name)
    {
        using var scaled = new SKBitmap(RgbaInfo(Width, Height));
        if (!rgba.ScalePixels(scaled, Sampling))
        {
            throw new ImageDecodeException(name, $"it cannot be scaled to {Width}×{Height}");
        }

        var span = scaled.GetPixelSpan();
        var stride = scaled.RowBytes;
        var pixels = new byte[Width * Height * Channels];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var s = (y * stride) + (4 * x);
                byte r = span[s], g = span[s + 1], b = span[s + 2];
                var p = (y * Width) + x;
                if (Channels == 1)
                {
                    pixels[p] = (byte)(((299 * r) + (587 * g) + (114 * b) + 500) / 1000);
                }
                else
                {
                    pixels[3 * p] = r;
                    pixels[(3 * p) + 1] = g;
                    pixels[(3 * p) + 2] = b;
                }
            }
        }

        return new PixelImage(Width, Height, Channels, pixels);
    }
}
