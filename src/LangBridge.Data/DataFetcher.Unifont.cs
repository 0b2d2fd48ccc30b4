using System.Globalization;

namespace LangBridge.Data;

public sealed partial class DataFetcher
{
    /// <summary>Component name of GNU Unifont's glyph bitmaps.</summary>
    public const string UnifontComponent = "unifont";

    /// <summary>Debian package holding <c>unifont.hex</c>.</summary>
    public const string UnifontPackage = "unifont";

    /// <summary>Fewest glyphs a real <c>unifont.hex</c> has (the plane-0 font has about 57,000).</summary>
    internal int UnifontMinGlyphs { get; init; } = 50_000;

    private async Task<(ManifestSource, List<(string, string)>, Dictionary<string, string>)> BuildUnifont(string staging, CancellationToken ct)
    {
        var download = Path.Combine(Path.GetDirectoryName(staging)!, "download");
        var step = $"{UnifontComponent}: apt-get download {UnifontPackage}";
        progress?.Start(step, null, "bytes");
        var pkg = await source.FetchDebianAsync(UnifontPackage, download, b => progress?.Report(step, b), ct);
        progress?.Finish(step, $"version {pkg.Version}");

        var hex = Path.Combine(pkg.Path, "usr", "share", "unifont", "unifont.hex");
        var copyright = Path.Combine(pkg.Path, "usr", "share", "doc", "unifont", "copyright");
        if (!File.Exists(hex)) throw new DataFetchException($"{UnifontPackage} {pkg.Version} has no usr/share/unifont/unifont.hex");
        // Every line must be a glyph: 'XXXX:' and 32 or 64 hex digits (the renderer reads them as they are).
        int glyphs = 0, number = 0;
        foreach (var line in File.ReadLines(hex))
        {
            number++;
            var colon = line.IndexOf(':');
            if (colon < 4 || line.Length - colon - 1 is not (32 or 64) || !line.AsSpan(colon + 1).ToString().All(Uri.IsHexDigit))
                throw new DataFetchException($"{UnifontPackage} {pkg.Version}: unifont.hex line {number} is not a glyph");
            glyphs++;
        }
        if (glyphs < UnifontMinGlyphs) throw new DataFetchException($"{UnifontPackage} {pkg.Version}: unifont.hex has {glyphs} glyphs, expected at least {UnifontMinGlyphs}");
        var outDir = Path.Combine(staging, "unifont");
        Directory.CreateDirectory(outDir);
        File.Copy(hex, Path.Combine(outDir, "unifont.hex"));
        var files = new List<(string, string)> { ("unifont/unifont.hex", $"{glyphs:N0} glyphs, 8x16 and 16x16") };
        if (File.Exists(copyright))
        {
            File.Copy(copyright, Path.Combine(outDir, "copyright"));
            files.Add(("unifont/copyright", "licence (GPL-2+, as Debian records it)"));
        }
        return (new ManifestSource("debian", pkg.Package, pkg.Version), files,
            new Dictionary<string, string> { ["glyphs"] = glyphs.ToString(CultureInfo.InvariantCulture) });
    }
}
