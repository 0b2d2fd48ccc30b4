namespace LangBridge.Runtime;

/// <summary>
/// One GNU Unifont bitmap glyph: 16 rows of 8 (half-width) or 16 (full-width) pixels, as the <c>.hex</c>
/// format stores it (most significant bit = leftmost pixel).
/// </summary>
public sealed class UnifontGlyph
{
    /// <summary>Rows of every glyph.</summary>
    public const int Height = 16;

    private readonly ushort[] _rows;

    internal UnifontGlyph(int codePoint, int width, ushort[] rows)
    {
        CodePoint = codePoint;
        Width = width;
        _rows = rows;
    }

    /// <summary>The Unicode code point.</summary>
    public int CodePoint { get; }

    /// <summary>8 or 16 pixels.</summary>
    public int Width { get; }

    /// <summary>Whether pixel (<paramref name="x"/>, <paramref name="y"/>) is ink.</summary>
    public bool this[int x, int y] => (_rows[y] >> (Width - 1 - x) & 1) != 0;

    /// <summary>The glyph as its <c>.hex</c> line.</summary>
    public string ToHexLine()
    {
        var digits = Width / 4;
        return $"{CodePoint:X4}:" + string.Concat(_rows.Select(r => r.ToString($"X{digits}", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
