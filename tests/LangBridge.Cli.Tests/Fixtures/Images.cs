using SkiaSharp;

namespace LangBridge.Cli.Tests.Fixtures;

internal static class Images
{
    /// <summary>A gray PNG with a diagonal ramp; <paramref name="seed"/> shifts it so images differ.</summary>
    public static byte[] Png(int size, int seed)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
            {
                var v = (byte)((x + y + seed) * 255 / (2 * size));
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
