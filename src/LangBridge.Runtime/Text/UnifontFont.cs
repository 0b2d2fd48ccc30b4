using System.Globalization;
using System.Text;

namespace LangBridge.Runtime;

/// <summary>
/// GNU Unifont glyphs read from its plain <c>.hex</c> bitmaps (one glyph a line, <c>XXXX:hexdigits</c>), without
/// any font engine, so training and serving draw identical pixels on every platform.
/// </summary>
public sealed class UnifontFont
{
    private readonly IReadOnlyDictionary<int, UnifontGlyph> _glyphs;

    private UnifontFont(IReadOnlyDictionary<int, UnifontGlyph> glyphs)
    {
        _glyphs = glyphs;
        Fallback = glyphs.GetValueOrDefault(0xFFFD) ?? glyphs.GetValueOrDefault('?')
            ?? throw new FontFormatException("(font)", 0, "the font has neither U+FFFD nor '?', so characters it lacks could not be drawn");
    }

    /// <summary>Glyphs in the font.</summary>
    public int Count => _glyphs.Count;

    /// <summary>The glyph drawn for a character the font lacks (U+FFFD, else '?').</summary>
    public UnifontGlyph Fallback { get; }

    /// <summary>The glyph of <paramref name="codePoint"/>, or <see cref="Fallback"/>.</summary>
    public UnifontGlyph Glyph(int codePoint) => _glyphs.GetValueOrDefault(codePoint) ?? Fallback;

    /// <summary>Whether the font has a glyph of its own for <paramref name="codePoint"/>.</summary>
    public bool Contains(int codePoint) => _glyphs.ContainsKey(codePoint);

    /// <summary>Reads a <c>.hex</c> file.</summary>
    /// <exception cref="FontFormatException">A line is not a glyph.</exception>
    public static UnifontFont Load(string path)
    {
        using var reader = new StreamReader(path, Encoding.ASCII);
        return Read(reader, path);
    }

    /// <summary>Reads <c>.hex</c> text; <paramref name="origin"/> names it in errors.</summary>
    public static UnifontFont Read(TextReader reader, string origin)
    {
        var glyphs = new Dictionary<int, UnifontGlyph>();
        int number = 0;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            number++;
            if (line.Length == 0) continue;
            var colon = line.IndexOf(':');
            if (colon is < 4 or > 6 || !int.TryParse(line.AsSpan(0, colon), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var codePoint))
                throw new FontFormatException(origin, number, "no code point before ':'");
            var bits = line.AsSpan(colon + 1);
            if (bits.Length is not (32 or 64)) throw new FontFormatException(origin, number, $"{bits.Length} hex digits");
            int width = bits.Length / 4, digits = width / 4;
            var rows = new ushort[UnifontGlyph.Height];
            for (int y = 0; y < rows.Length; y++)
                if (!ushort.TryParse(bits.Slice(y * digits, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out rows[y]))
                    throw new FontFormatException(origin, number, $"row {y} is not hex");
            if (!glyphs.TryAdd(codePoint, new UnifontGlyph(codePoint, width, rows)))
                throw new FontFormatException(origin, number, $"U+{codePoint:X4} appears twice");
        }
        return new UnifontFont(glyphs);
    }

    /// <summary>
    /// The glyphs of <paramref name="codePoints"/> that the font has, plus the fallback: what a bundle ships
    /// so that the serving side draws exactly what training drew, without the whole 57,000-glyph font.
    /// </summary>
    public UnifontFont Subset(IEnumerable<int> codePoints) =>
        new(codePoints.Append(Fallback.CodePoint).Distinct().Where(_glyphs.ContainsKey).ToDictionary(c => c, c => _glyphs[c]));

    /// <summary>The font as <c>.hex</c> text, glyphs in code point order.</summary>
    public string ToHex() => string.Concat(_glyphs.Keys.Order().Select(c => _glyphs[c].ToHexLine() + "\n"));
}
