namespace LangBridge.Runtime;

/// <summary>
/// How text becomes an image (CLIPPO): lower-cased, word-wrapped onto a square grey canvas in black
/// Unifont glyphs. The same options in training and serving give the same pixels.
/// </summary>
public sealed record TextRenderOptions
{
    /// <summary>Canvas side in pixels (the encoder's input size).</summary>
    public int Size { get; init; } = 64;

    /// <summary>Each glyph pixel becomes Scale × Scale canvas pixels (1: 8×16 glyphs, 2: 16×32).</summary>
    public int Scale { get; init; } = 1;

    /// <summary>Lower-case the text first, as CLIPPO does.</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>Canvas grey level (CLIPPO: 127).</summary>
    public byte Background { get; init; } = 127;

    /// <summary>Ink grey level (CLIPPO: 0, black).</summary>
    public byte Foreground { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for a canvas too small for one glyph or a scale below 1.</summary>
    public void Validate()
    {
        if (Scale < 1) throw new ArgumentException($"TextRenderOptions.Scale must be at least 1, got {Scale}");
        if (Size < UnifontGlyph.Height * Scale) throw new ArgumentException($"TextRenderOptions.Size {Size} is smaller than one line of glyphs ({UnifontGlyph.Height * Scale} px)");
    }
}
