namespace LangBridge.Training.Captions;

/// <summary>What a caption can say about an image beyond its class, measured from its pixels.</summary>
public sealed record ImageAttributes(string Brightness, string Size);

/// <summary>
/// Measures <see cref="ImageAttributes"/> of 8-bit grey images on a dark background (Fashion-MNIST, MNIST):
/// brightness is the mean of the ink pixels (value above <see cref="InkLevel"/>), size the share of the frame
/// they cover; each is split at its median over the images the meter was fitted on (half the images "dark",
/// half "light"; half "small", half "large").
/// </summary>
public sealed class AttributeMeter
{
    public const byte InkLevel = 25;

    private AttributeMeter(double brightness, double size)
    {
        BrightnessThreshold = brightness;
        SizeThreshold = size;
    }

    /// <summary>Mean ink level at and above which an image is "light".</summary>
    public double BrightnessThreshold { get; }

    /// <summary>Ink share of the frame at and above which an image is "large".</summary>
    public double SizeThreshold { get; }

    /// <summary>Fits the two medians on <paramref name="count"/> images of <paramref name="pixelsPerImage"/> bytes.</summary>
    public static AttributeMeter Fit(ReadOnlySpan<byte> pixels, int count, int pixelsPerImage)
    {
        var brightness = new double[count];
        var size = new double[count];
        for (int i = 0; i < count; i++) (brightness[i], size[i]) = Measure(pixels.Slice(i * pixelsPerImage, pixelsPerImage));
        return new AttributeMeter(Median(brightness), Median(size));
    }

    public ImageAttributes Attributes(ReadOnlySpan<byte> image)
    {
        var (b, s) = Measure(image);
        return new ImageAttributes(b >= BrightnessThreshold ? "light" : "dark", s >= SizeThreshold ? "large" : "small");
    }

    private static (double Brightness, double Size) Measure(ReadOnlySpan<byte> image)
    {
        long sum = 0;
        int ink = 0;
        foreach (var p in image)
        {
            if (p <= InkLevel) continue;
            sum += p;
            ink++;
        }
        return (ink == 0 ? 0 : (double)sum / ink, (double)ink / image.Length);
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }
}
