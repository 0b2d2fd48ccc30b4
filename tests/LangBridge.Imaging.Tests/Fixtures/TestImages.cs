using SkiaSharp;

namespace LangBridge.Imaging.Tests.Fixtures;

/// <summary>The image kinds people bring, generated in code: every PNG colour type, 16 bits, JPEG, odd sizes.</summary>
internal static class TestImages
{
    // Patterns with detail in both directions, so resampling has something to get wrong.
    private static byte R(int x, int y) => (byte)((x * 37) + (y * 11));
    private static byte G(int x, int y) => (byte)(255 - (x * 5) - (y * 13));
    private static byte B(int x, int y) => (byte)(x * y * 7);
    private static byte A(int x, int y) => (byte)(60 + ((x + y) * 9 % 196));

    public static byte[] Gray8(int w, int h) => PngWriter.Encode(w, h, PngWriter.Gray, 8, (x, y) => [R(x, y)]);

    public static byte[] Gray16(int w, int h) =>
        PngWriter.Encode(w, h, PngWriter.Gray, 16, (x, y) => [R(x, y), G(x, y)]);

    public static byte[] Rgb8(int w, int h) => PngWriter.Encode(w, h, PngWriter.Rgb, 8, (x, y) => [R(x, y), G(x, y), B(x, y)]);

    public static byte[] Rgb16(int w, int h) =>
        PngWriter.Encode(w, h, PngWriter.Rgb, 16, (x, y) => [R(x, y), B(x, y), G(x, y), R(y, x), B(x, y), A(x, y)]);

    public static byte[] Rgba8(int w, int h) => PngWriter.Encode(w, h, PngWriter.Rgba, 8, (x, y) => [R(x, y), G(x, y), B(x, y), A(x, y)]);

    public static byte[] GrayAlpha8(int w, int h) => PngWriter.Encode(w, h, PngWriter.GrayAlpha, 8, (x, y) => [G(x, y), A(x, y)]);

    /// <summary>An indexed PNG: 16 palette colours, some of them partly transparent (tRNS).</summary>
    public static byte[] Palette(int w, int h)
    {
        var palette = Enumerable.Range(0, 16).SelectMany(i => new[] { R(i, 3), G(i, 5), B(i, 7) }).ToArray();
        var alphas = Enumerable.Range(0, 6).Select(i => (byte)(255 - (i * 40))).ToArray();
        return PngWriter.Encode(w, h, PngWriter.Palette, 8, (x, y) => [(byte)(((x * 3) + y) % 16)], palette, alphas);
    }

    /// <summary>Incompressible RGB noise: a PNG of about 3 × w × h bytes, for truncation tests.</summary>
    public static byte[] Noise(int w, int h, int seed = 7)
    {
        var random = new Random(seed);
        return PngWriter.Encode(w, h, PngWriter.Rgb, 8, (_, _) => [(byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)]);
    }

    /// <summary>A JPEG (SkiaSharp's encoder, quality 90) of the RGB pattern.</summary>
    public static byte[] Jpeg(int w, int h) => Jpeg(w, h, (x, y) => new SKColor(R(x, y), G(x, y), B(x, y)));

    public static byte[] Jpeg(int w, int h, Func<int, int, SKColor> colour)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                bitmap.SetPixel(x, y, colour(x, y));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    /// <summary>
    /// A 32×16 JPEG, left half red and right half blue, tagged EXIF orientation 6: upright it is 16×32,
    /// red on top and blue below.
    /// </summary>
    public static byte[] RotatedJpeg() =>
        JpegExif.WithOrientation(Jpeg(32, 16, (x, _) => x < 16 ? new SKColor(230, 20, 20) : new SKColor(20, 20, 230)), 6);

    /// <summary>Every kind above, by file name (sorted ordinally: the order an image folder loads them in).</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> All() =>
    [
        ("a-gray8-33x17.png", Gray8(33, 17)),
        ("b-gray16-5x40.png", Gray16(5, 40)),
        ("c-rgb8-33x17.png", Rgb8(33, 17)),
        ("d-rgb16-33x17.png", Rgb16(33, 17)),
        ("e-rgba8-33x17.png", Rgba8(33, 17)),
        ("f-grayalpha-17x33.png", GrayAlpha8(17, 33)),
        ("g-palette-33x17.png", Palette(33, 17)),
        ("h-jpeg-33x17.jpg", Jpeg(33, 17)),
        ("i-exif-rotated.jpg", RotatedJpeg()),
        ("j-rgb8-96x64.png", Rgb8(96, 64)),
        ("k-rgb8-3x2.png", Rgb8(3, 2)),
    ];
}
