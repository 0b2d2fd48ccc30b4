using LangBridge.Training.Reports;
using SkiaSharp;

namespace LangBridge.Training.Tests.Reports;

/// <summary>The retrieval sheet draws every query and hit, and frames exactly the right answers in green.</summary>
public sealed class RetrievalSheetTests
{
    private static SheetPicture Picture(byte level, int size, string label) => new(Enumerable.Repeat(level, size * size).ToArray(), size, label);

    [Fact]
    public void QueriesAndHitsAreDrawnAndOnlyTheRightHitsAreFramed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"retrieval-{Guid.NewGuid():N}.png");
        try
        {
            var imageToText = new[]
            {
                new SheetQuery(Picture(200, 28, "coat"), [new SheetHit(Picture(127, 56, "a coat"), 0.9f, true), new SheetHit(Picture(127, 56, "a bag"), 0.5f, false)]),
            };
            var textToImage = new[]
            {
                new SheetQuery(Picture(127, 56, "a bag"), [new SheetHit(Picture(30, 28, "coat"), 0.7f, false), new SheetHit(Picture(220, 28, "bag"), 0.6f, true)]),
            };
            RetrievalSheet.Save(path, "test", imageToText, textToImage);

            using var bitmap = SKBitmap.Decode(path);
            Assert.NotNull(bitmap);
            bool Green(int x, int y) => bitmap.GetPixel(x, y) is var c && c.Green > 120 && c.Red < 60 && c.Blue < 60;
            // Rows: three headers of 40 px; cells of 84 px with a 10 px margin, hits start after the query and a double gap.
            int firstHitX = 10 + 84 + 20, secondHitX = firstHitX + 84 + 10;
            int row1 = 80, row2 = 80 + 84 + 34 + 10 + 40;
            Assert.True(Green(firstHitX - 2, row1 + 40), "the right caption of the first image is framed");
            Assert.False(Green(secondHitX - 2, row1 + 40), "a wrong caption is not framed");
            Assert.False(Green(firstHitX - 2, row2 + 40), "a wrong image is not framed");
            Assert.True(Green(secondHitX - 2, row2 + 40), "the right image of the caption is framed");
            Assert.Equal(220, bitmap.GetPixel(secondHitX + 40, row2 + 40).Red);       // the hit's own pixels, scaled up
        }
        finally
        {
            File.Delete(path);
        }
    }
}
