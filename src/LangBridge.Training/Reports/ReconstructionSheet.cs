using LangBridge.Data;
using SkiaSharp;

namespace LangBridge.Training.Reports;

/// <summary>One row of the sheet: an image, its reconstruction and the words it became.</summary>
/// <param name="Original">Pixels in [0, 1], CHW.</param>
/// <param name="Reconstruction">Pixels in [0, 1], CHW.</param>
/// <param name="MaskedReconstruction">Optionally a second reconstruction (e.g. with words masked), drawn beside the first.</param>
public sealed record SheetRow(string Label, float[] Original, float[] Reconstruction, IReadOnlyList<string> Words, float[]? MaskedReconstruction = null);

/// <summary>
/// Renders a PNG a person reads at a glance: original, reconstruction and the image's most frequent
/// words, one image per row. Text uses a font file (the Linux SkiaSharp build has no font lookup).
/// </summary>
public static class ReconstructionSheet
{
    private const int Scale = 4, Pad = 8, TextWidth = 680;

    /// <summary>Candidate fonts; the first that exists is used. Without one, the sheet has no text.</summary>
    public static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "C:/Windows/Fonts/arial.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
    ];

    public static void Save(string path, IReadOnlyList<SheetRow> rows, int channels, int height, int width, string title)
    {
        int cell = height * Scale;
        int rowHeight = cell + Pad;
        int columns = rows.Any(r => r.MaskedReconstruction is not null) ? 3 : 2;
        int imageWidth = Pad + (width * Scale + Pad) * columns + TextWidth;
        int imageHeight = 40 + rows.Count * rowHeight + Pad;
        using var surface = SKSurface.Create(new SKImageInfo(imageWidth, imageHeight, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        var fontFile = FontFiles.FirstOrDefault(File.Exists);
        using var typeface = fontFile is null ? null : SKTypeface.FromFile(fontFile);
        using var titleFont = new SKFont(typeface ?? SKTypeface.Default, 16);
        using var font = new SKFont(typeface ?? SKTypeface.Default, 14);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grey = new SKPaint { Color = new SKColor(90, 90, 90), IsAntialias = true };
        if (typeface is not null) canvas.DrawText(title, Pad, 24, SKTextAlign.Left, titleFont, ink);

        for (int r = 0; r < rows.Count; r++)
        {
            int y = 40 + r * rowHeight;
            DrawImage(canvas, rows[r].Original, channels, height, width, Pad, y);
            DrawImage(canvas, rows[r].Reconstruction, channels, height, width, Pad * 2 + width * Scale, y);
            if (rows[r].MaskedReconstruction is { } masked) DrawImage(canvas, masked, channels, height, width, Pad * 3 + width * Scale * 2, y);
            if (typeface is null) continue;
            float x = Pad * (columns + 1) + width * Scale * columns;
            canvas.DrawText(rows[r].Label, x, y + 18, SKTextAlign.Left, font, ink);
            canvas.DrawText(string.Join(" ", rows[r].Words), x, y + 40, SKTextAlign.Left, font, grey);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, data.SaveTo);
    }

    internal static void DrawImage(SKCanvas canvas, float[] pixels, int channels, int height, int width, int x0, int y0)
    {
        using var paint = new SKPaint();
        int plane = height * width;
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            byte V(int c) => (byte)Math.Clamp(MathF.Round(pixels[c * plane + y * width + x] * 255f), 0, 255);
            paint.Color = channels == 1 ? new SKColor(V(0), V(0), V(0)) : new SKColor(V(0), V(1), V(2));
            canvas.DrawRect(x0 + x * Scale, y0 + y * Scale, Scale, Scale, paint);
        }
    }
}
