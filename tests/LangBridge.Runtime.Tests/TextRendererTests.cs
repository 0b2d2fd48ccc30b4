using LangBridge.Runtime;

namespace LangBridge.Runtime.Tests;

/// <summary>
/// The CLIPPO text renderer on a synthetic font (each glyph a distinct pattern, so every drawn character can be
/// told apart): wrapping, truncation, lower-casing, scale and the fallback glyph.
/// </summary>
public sealed class TextRendererTests
{
    // Half-width glyphs whose top row encodes the character, a full bar on row 15 marks "ink here"; '?' is the fallback.
    private static readonly UnifontFont Font = UnifontFont.Read(new StringReader(string.Join("\n",
        "abcdefghij?".Select(c => $"{(int)c:X4}:{(byte)c:X2}" + new string('0', 28) + "FF")
        .Append("4E2D:" + new string('F', 64)))), "synthetic.hex");

    private static int[] InkColumns(RenderedText r, int row) =>
        Enumerable.Range(0, r.Size).Where(x => r.Pixels[row * r.Size + x] == 0).ToArray();

    /// <summary>The character drawn in glyph cell (column, line), read back from its top row; null when blank.</summary>
    private static char? CharAt(RenderedText r, int column, int line, int scale = 1)
    {
        int code = 0;
        for (int x = 0; x < 8; x++)
            if (r.Pixels[line * 16 * scale * r.Size + (column * 8 + x) * scale] == 0) code |= 1 << (7 - x);
        return code == 0 ? null : (char)code;
    }

    [Fact]
    public void WordsWrapAtSpacesAndWhatDoesNotFitIsReported()
    {
        var renderer = new TextRenderer(Font, new TextRenderOptions { Size = 32 });     // 4 half-width glyphs × 2 lines
        var r = renderer.Render("ab cd ef");
        Assert.Equal(['a', 'b'], new[] { CharAt(r, 0, 0), CharAt(r, 1, 0) });
        Assert.Null(CharAt(r, 2, 0));
        Assert.Equal(['c', 'd'], new[] { CharAt(r, 0, 1), CharAt(r, 1, 1) });
        Assert.True(r.Truncated);
        Assert.Equal(4, r.Characters);
        Assert.Equal("ab cd", r.Text);
    }

    [Fact]
    public void AWordLongerThanALineIsBrokenAcrossLines()
    {
        var r = new TextRenderer(Font, new TextRenderOptions { Size = 32 }).Render("abcdef");
        Assert.Equal("abcdef", string.Concat(new[] { (0, 0), (1, 0), (2, 0), (3, 0), (0, 1), (1, 1) }.Select(p => CharAt(r, p.Item1, p.Item2))));
        Assert.False(r.Truncated);
    }

    [Fact]
    public void TextIsLowerCasedAndWhitespaceCollapsedAsCLIPPODoes()
    {
        var renderer = new TextRenderer(Font, new TextRenderOptions { Size = 64 });
        Assert.Equal(renderer.Render("ab c").Pixels, renderer.Render("  AB\t\n C ").Pixels);
        var cased = new TextRenderer(Font, new TextRenderOptions { Size = 64, LowerCase = false }).Render("AB");
        Assert.Equal(2, cased.Unknown);                                                    // the font has no capitals
    }

    [Fact]
    public void UnknownCharactersUseTheFallbackGlyphAndAreCounted()
    {
        var r = new TextRenderer(Font, new TextRenderOptions { Size = 64 }).Render("a§b");
        Assert.Equal('?', CharAt(r, 1, 0));
        Assert.Equal(1, r.Unknown);
    }

    [Fact]
    public void FullWidthGlyphsTakeTwoCellsAndScaleMultipliesEveryPixel()
    {
        var one = new TextRenderer(Font, new TextRenderOptions { Size = 32 }).Render("中a");
        Assert.Equal(Enumerable.Range(0, 24), InkColumns(one, 15));                          // 16 + 8 pixels of ink on the bottom row
        var two = new TextRenderer(Font, new TextRenderOptions { Size = 64, Scale = 2 }).Render("中a");
        Assert.Equal(Enumerable.Range(0, 48), InkColumns(two, 30));
        Assert.Equal(Enumerable.Range(0, 48), InkColumns(two, 31));
        Assert.Equal('a', CharAt(two, 2, 0, scale: 2));
    }

    [Fact]
    public void TheEmptyStringIsABlankCanvas()
    {
        var r = new TextRenderer(Font, new TextRenderOptions { Size = 32, Background = 127 }).Render("");
        Assert.All(r.Pixels, p => Assert.Equal(127, p));
        Assert.Equal(0, r.Characters);
        Assert.False(r.Truncated);
    }

    [Fact]
    public void ASubsetDrawsExactlyWhatTheWholeFontDraws()
    {
        var renderer = new TextRenderer(Font, new TextRenderOptions { Size = 64 });
        var subset = UnifontFont.Read(new StringReader(Font.Subset("bad".Select(c => (int)c)).ToHex()), "subset.hex");
        Assert.Equal(4, subset.Count);                                                        // b, a, d and the fallback
        Assert.Equal(renderer.Render("bad").Pixels, new TextRenderer(subset, renderer.Options).Render("bad").Pixels);
    }

    [Theory]
    [InlineData("0041:00", 1)]
    [InlineData("0041:" + "00000000000000000000000000000000\nZZ:00000000000000000000000000000000", 2)]
    [InlineData("0041:0000000000000000000000000000000G", 1)]
    public void AMalformedGlyphLineIsNamed(string hex, int line)
    {
        var e = Assert.Throws<FontFormatException>(() => UnifontFont.Read(new StringReader(hex), "bad.hex"));
        Assert.Equal(line, e.Line);
        Assert.Contains("bad.hex", e.Message);
    }

    [Fact]
    public void OptionsThatCannotHoldOneLineAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new TextRenderer(Font, new TextRenderOptions { Size = 15 }));
        Assert.Throws<ArgumentException>(() => new TextRenderer(Font, new TextRenderOptions { Scale = 0 }));
    }
}
