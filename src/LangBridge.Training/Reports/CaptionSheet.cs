using LangBridge.Data;
using SkiaSharp;

namespace LangBridge.Training.Reports;

/// <summary>One image of the caption sheet with lines of text beside it (what it is, then a caption a line).</summary>
/// <param name="Pixels">Grey pixels in [0, 1], H × W.</param>
public sealed record CaptionSheetRow(float[] Pixels, IReadOnlyList<string> Lines);

/// <summary>A PNG of images, each with its lines of text (the generated captions of every encoder), drawn with the sheets' font.</summary>
public static class CaptionSheet
{
    private const int Scale = 4, Pad = 8, LineHeight = 17, TextWidth = 900;   // Scale: ReconstructionSheet.DrawImage's

    public static void Save(string path, IReadOnlyList<CaptionSheetRow> rows, int height, int width, string title)
    {
        int lines = rows.Count == 0 ? 1 : rows.Max(r => r.Lines.Count);
        int rowHeight = Math.Max(height * Scale, lines * LineHeight) + Pad;
        using var surface = SKSurface.Create(new SKImageInfo(Pad * 3 + width * Scale + TextWidth, 40 + rows.Count * rowHeight + Pad, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        var fontFile = ReconstructionSheet.FontFiles.FirstOrDefault(File.Exists);
        using var typeface = fontFile is null ? null : SKTypeface.FromFile(fontFile);
        using var titleFont = new SKFont(typeface ?? SKTypeface.Default, 16);
        using var font = new SKFont(typeface ?? SKTypeface.Default, 13);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        if (typeface is not null) canvas.DrawText(title, Pad, 24, SKTextAlign.Left, titleFont, ink);
        for (int r = 0; r < rows.Count; r++)
        {
            int y = 40 + r * rowHeight;
            ReconstructionSheet.DrawImage(canvas, rows[r].Pixels, 1, height, width, Pad, y);
            if (typeface is null) continue;
            for (int l = 0; l < rows[r].Lines.Count; l++)
                canvas.DrawText(rows[r].Lines[l], Pad * 2 + width * Scale, y + 13 + l * LineHeight, SKTextAlign.Left, font, ink);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, data.SaveTo);
    }
}
