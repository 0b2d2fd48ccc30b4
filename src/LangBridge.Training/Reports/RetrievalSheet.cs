using LangBridge.Data;
using SkiaSharp;

namespace LangBridge.Training.Reports;

/// <summary>A square 8-bit grey picture (an image, or a caption as the encoder sees it); null pixels: text only.</summary>
public sealed record SheetPicture(byte[]? Pixels, int Size, string Label);

/// <summary>One retrieved item with its cosine score, and whether it is the query's own.</summary>
public sealed record SheetHit(SheetPicture Picture, float Score, bool Correct);

/// <summary>A query and what the model retrieved for it, best first.</summary>
public sealed record SheetQuery(SheetPicture Query, IReadOnlyList<SheetHit> Hits);

/// <summary>
/// Retrieval at a glance: for a few images the top captions retrieved (drawn as the rendered canvases the
/// encoder read), and for a few captions the top images; the right answer framed in green, scores beneath.
/// </summary>
public static class RetrievalSheet
{
    private const int Cell = 84, Pad = 10, LabelHeight = 34, HeaderHeight = 40;

    public static void Save(string path, string title, IReadOnlyList<SheetQuery> imageToText, IReadOnlyList<SheetQuery> textToImage)
    {
        int columns = 1 + Math.Max(imageToText.Max(q => q.Hits.Count), textToImage.Max(q => q.Hits.Count));
        int rowHeight = Cell + LabelHeight + Pad;
        int width = Pad + columns * (Cell + Pad) + Pad;
        int height = HeaderHeight * 3 + (imageToText.Count + textToImage.Count) * rowHeight;
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        var fontFile = ReconstructionSheet.FontFiles.FirstOrDefault(File.Exists);
        using var typeface = fontFile is null ? null : SKTypeface.FromFile(fontFile);
        using var titleFont = new SKFont(typeface ?? SKTypeface.Default, 16);
        using var font = new SKFont(typeface ?? SKTypeface.Default, 11);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grey = new SKPaint { Color = new SKColor(90, 90, 90), IsAntialias = true };
        using var right = new SKPaint { Color = new SKColor(0, 150, 0), Style = SKPaintStyle.Stroke, StrokeWidth = 4 };

        float y = 0;
        void Header(string text)
        {
            if (typeface is not null) canvas.DrawText(text, Pad, y + 26, SKTextAlign.Left, titleFont, ink);
            y += HeaderHeight;
        }
        void Section(IReadOnlyList<SheetQuery> queries)
        {
            foreach (var q in queries)
            {
                float x = Pad;
                Draw(q.Query, x, y, null);
                x += Cell + Pad * 2;
                foreach (var hit in q.Hits)
                {
                    Draw(hit.Picture, x, y, $"{hit.Score:F3}");
                    if (hit.Correct) canvas.DrawRect(x - 2, y - 2, Cell + 4, Cell + 4, right);
                    x += Cell + Pad;
                }
                y += rowHeight;
            }
        }
        void Draw(SheetPicture picture, float x, float top, string? score)
        {
            if (picture.Pixels is { } pixels)
            {
                using var bitmap = new SKBitmap(new SKImageInfo(picture.Size, picture.Size, SKColorType.Gray8, SKAlphaType.Opaque));
                var span = bitmap.GetPixelSpan();
                for (int row = 0; row < picture.Size; row++)
                    pixels.AsSpan(row * picture.Size, picture.Size).CopyTo(span.Slice(row * bitmap.RowBytes, picture.Size));
                using var image = SKImage.FromBitmap(bitmap);
                canvas.DrawImage(image, new SKRect(x, top, x + Cell, top + Cell), new SKSamplingOptions(SKFilterMode.Nearest));
            }
            else if (typeface is not null)
            {
                canvas.DrawText(picture.Label, x, top + Cell / 2f, SKTextAlign.Left, font, ink);
            }
            if (typeface is null) return;
            canvas.DrawText(Clip(picture.Label, font), x, top + Cell + 13, SKTextAlign.Left, font, grey);
            if (score is not null) canvas.DrawText(score, x, top + Cell + 27, SKTextAlign.Left, font, ink);
        }

        Header(title);
        Header("image → top captions (as rendered for the encoder)");
        Section(imageToText);
        Header("caption → top images");
        Section(textToImage);
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, data.SaveTo);
    }

    /// <summary>The label cut to fit one cell.</summary>
    private static string Clip(string label, SKFont font)
    {
        if (font.MeasureText(label) <= Cell + Pad) return label;
        while (label.Length > 1 && font.MeasureText(label + "…") > Cell + Pad) label = label[..^1];
        return label + "…";
    }
}
