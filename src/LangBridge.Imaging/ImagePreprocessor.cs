using LangBridge.Runtime;
using SkiaSharp;

namespace LangBridge.Imaging;

/// <summary>
/// Turns PNG/JPEG images into what a bundle's encoder expects, exactly as training prepared them:
/// <see cref="ImageDecoder"/> (the one decoder LangBridge.Data's image folders use too) at the
/// bundle's width, height and channels, then <see cref="ImageNormalizer"/>'s normalisation.
/// Truncated or corrupt files and images over <see cref="ImageDecodeOptions.MaxPixels"/> are refused
/// with <see cref="ImageDecodeException"/>. Stateless and thread-safe.
/// </summary>
public sealed class ImagePreprocessor
{
    private readonly ImageDecoder _decoder;

    /// <summary>Creates a preprocessor for a bundle's image.</summary>
    /// <param name="spec">The bundle's image (<c>tokenizer.Image</c> or <c>bundle.Manifest.Image</c>).</param>
    /// <param name="options">Decoding limits; <see cref="ImageDecodeOptions.Default"/> if null.</param>
    /// <exception cref="InputShapeException">The bundle's image has a channel count other than 1 or 3.</exception>
    public ImagePreprocessor(ImageSpec spec, ImageDecodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Channels is not (1 or 3))
        {
            throw new InputShapeException("image channels for LangBridge.Imaging", "1 (gray) or 3 (RGB)", $"{spec.Channels}");
        }

        Spec = spec;
        _decoder = new ImageDecoder(spec.Width, spec.Height, spec.Channels, options);
    }

    /// <summary>The bundle image this preprocessor produces.</summary>
    public ImageSpec Spec { get; }

    /// <summary>The decoding limits in force.</summary>
    public ImageDecodeOptions Options => _decoder.Options;

    /// <summary>Decodes an image file and brings it to the bundle's size and channels.</summary>
    /// <exception cref="ImageDecodeException">The file is missing, truncated, corrupt, too large or not an image.</exception>
    public PixelImage Load(string path) => _decoder.Load(path);

    /// <summary>Decodes encoded image bytes (PNG, JPEG, anything SkiaSharp reads).</summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="name">Names the image in error messages.</param>
    /// <exception cref="ImageDecodeException">The bytes are truncated, corrupt, too large or not an image.</exception>
    public PixelImage Decode(ReadOnlySpan<byte> encoded, string name = "image bytes") => _decoder.Decode(encoded, name);

    /// <summary>Brings a decoded bitmap to the bundle's size and channels.</summary>
    /// <exception cref="ImageDecodeException">The bitmap cannot be converted or scaled.</exception>
    public PixelImage FromBitmap(SKBitmap bitmap, string name = "bitmap") => _decoder.FromBitmap(bitmap, name);

    /// <summary>Decodes an image file into model input: <c>C×H×W</c> normalised floats.</summary>
    public float[] LoadNormalized(string path)
    {
        var result = new float[Spec.ElementCount];
        ImageNormalizer.Normalize(Load(path), Spec, result);
        return result;
    }

    /// <summary>Decodes image files into one batch of model input: <c>N×C×H×W</c> normalised floats.</summary>
    public float[] LoadBatchNormalized(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var size = Spec.ElementCount;
        var result = new float[(long)paths.Count * size];
        var failures = new Exception?[paths.Count];
        Parallel.For(0, paths.Count, i =>
        {
            // Collected per index rather than left to Parallel.For's AggregateException, so callers
            // get the typed error of the first bad file, the same one a sequential loop would report.
            try
            {
                ImageNormalizer.Normalize(Load(paths[i]), Spec, result.AsSpan(i * size, size));
            }
            catch (Exception e)
            {
                failures[i] = e;
            }
        });
        if (Array.Find(failures, f => f is not null) is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }

        return result;
    }

    /// <summary>Encodes a pixel image (1 or 3 channels) as PNG bytes.</summary>
    public static byte[] EncodePng(PixelImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels is not (1 or 3))
        {
            throw new ArgumentException($"PNG export handles 1 or 3 channels, not {image.Channels}.", nameof(image));
        }

        var colorType = image.Channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888;
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, colorType, SKAlphaType.Opaque));
        var destination = bitmap.GetPixelSpan();
        var source = image.Pixels.Span;
        if (image.Channels == 1)
        {
            for (var y = 0; y < image.Height; y++)
            {
                source.Slice(y * image.Width, image.Width).CopyTo(destination.Slice(y * bitmap.RowBytes, image.Width));
            }
        }
        else
        {
            for (var y = 0; y < image.Height; y++)
            {
                for (var x = 0; x < image.Width; x++)
                {
                    var s = ((y * image.Width) + x) * 3;
                    var d = (y * bitmap.RowBytes) + (x * 4);
                    destination[d] = source[s];
                    destination[d + 1] = source[s + 1];
                    destination[d + 2] = source[s + 2];
                    destination[d + 3] = 255;
                }
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Writes a decoded image as a PNG file (atomically: a temporary file renamed over the target).</summary>
    public static void SavePng(DecodedImage image, string path) => SavePng(image.ToPixelImage(), path);

    /// <summary>Writes a pixel image as a PNG file (atomically).</summary>
    public static void SavePng(PixelImage image, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = EncodePng(image);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
