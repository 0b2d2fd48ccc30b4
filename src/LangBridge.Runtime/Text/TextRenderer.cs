using System.Text;

namespace LangBridge.Runtime;

/// <summary>
/// Draws text the way CLIPPO feeds it to its one encoder: normalised (NFC, lower case, whitespace runs as one
/// space), wrapped at spaces onto lines of the square canvas (a word longer than a line is broken), glyphs
/// from <see cref="UnifontFont"/> at an integer scale, top-left aligned. Text that does not fit is cut at
/// the last whole line, and the result says so. Thread-safe; allocates only the output.
/// </summary>
public sealed class TextRenderer
{
    private readonly UnifontFont _font;

    /// <summary>A renderer drawing with <paramref name="font"/>; <paramref name="options"/> default to CLIPPO's (64-pixel canvas, scale 1).</summary>
    /// <exception cref="ArgumentException">The options do not fit one line of glyphs on the canvas.</exception>
    public TextRenderer(UnifontFont font, TextRenderOptions? options = null)
    {
        _font = font ?? throw new ArgumentNullException(nameof(font));
        Options = options ?? new TextRenderOptions();
        Options.Validate();
    }

    /// <summary>Canvas, scale, case and grey levels.</summary>
    public TextRenderOptions Options { get; }

    /// <summary>The glyphs drawn.</summary>
    public UnifontFont Font => _font;

    /// <summary>The text as the renderer draws it: NFC, lower-cased if asked, control characters dropped, whitespace runs as one space, trimmed.</summary>
    public string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Normalize(NormalizationForm.FormC);
        if (Options.LowerCase) s = s.ToLowerInvariant();
        var b = new StringBuilder(s.Length);
        foreach (var rune in s.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune)) { if (b.Length > 0 && b[^1] != ' ') b.Append(' '); }
            else if (!Rune.IsControl(rune)) b.Append(rune.ToString());
        }
        return b.ToString().TrimEnd();
    }

    /// <summary>Draws <paramref name="text"/> (normalised first, see <see cref="Normalize"/>) onto a fresh canvas.</summary>
    public RenderedText Render(string text)
    {
        var normalized = Normalize(text);
        int size = Options.Size, scale = Options.Scale, lineHeight = UnifontGlyph.Height * scale, maxLines = size / lineHeight;
        var pixels = new byte[size * size];
        Array.Fill(pixels, Options.Background);
        var (lines, truncated) = Wrap(normalized, size / scale, maxLines);
        int drawn = 0, unknown = 0;
        for (int l = 0; l < lines.Count; l++)
        {
            int x = 0;
            foreach (var rune in lines[l].EnumerateRunes())
            {
                var glyph = _font.Glyph(rune.Value);
                if (!_font.Contains(rune.Value)) unknown++;
                Draw(glyph, pixels, size, x * scale, l * lineHeight, scale);
                x += glyph.Width;
                drawn++;
            }
        }
        return new RenderedText(pixels, size, string.Join(" ", lines), drawn, truncated, unknown);
    }

    // Greedy word wrap in glyph pixels; a word wider than a line is broken at the line's end.
    private (List<string> Lines, bool Truncated) Wrap(string text, int lineWidth, int maxLines)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        int width = 0;
        bool truncated = false;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int wordWidth = Width(word);
            if (width > 0 && width + Width(" ") + wordWidth > lineWidth)
            {
                if (!Flush()) return (lines, truncated);
            }
            else if (width > 0)
            {
                line.Append(' ');
                width += Width(" ");
            }
            foreach (var rune in word.EnumerateRunes())
            {
                int w = _font.Glyph(rune.Value).Width;
                if (width + w > lineWidth && !Flush()) return (lines, truncated);
                line.Append(rune.ToString());
                width += w;
            }
        }
        if (width > 0) Flush();
        return (lines, truncated);

        bool Flush()
        {
            if (lines.Count == maxLines) { truncated = true; return false; }
            lines.Add(line.ToString());
            line.Clear();
            width = 0;
            return true;
        }
    }

    private int Width(string s)
    {
        int w = 0;
        foreach (var rune in s.EnumerateRunes()) w += _font.Glyph(rune.Value).Width;
        return w;
    }

    private void Draw(UnifontGlyph glyph, byte[] pixels, int size, int left, int top, int scale)
    {
        for (int y = 0; y < UnifontGlyph.Height; y++)
            for (int x = 0; x < glyph.Width; x++)
            {
                if (!glyph[x, y]) continue;
                for (int dy = 0; dy < scale; dy++)
                {
                    int row = (top + y * scale + dy) * size + left + x * scale;
                    pixels.AsSpan(row, scale).Fill(Options.Foreground);
                }
            }
    }
}
