using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using LangBridge.Imaging;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>
/// The text renderer's golden PNGs: <see cref="CasesFile"/> lists each string with its canvas, what the renderer
/// reported (characters drawn, truncation, unknown characters) and the hash of the Unifont file they were drawn
/// with; each case has one PNG beside it. The runtime tests render the same strings and compare bit for bit.
/// </summary>
internal static class RendererGolden
{
    public const string GoldenDir = "tests/LangBridge.Runtime.Tests/Golden/renderer";
    public const string CasesFile = "cases.json";
    public const string Format = "langbridge-renderer-golden";
    public const int Version = 1;

    internal sealed record Case(string Name, string Text, int Size, int Scale, int Characters, bool Truncated, int Unknown);

    internal sealed record CaseFile(string Format, int Version, string FontSha256, IReadOnlyList<Case> Cases);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Renders every case of <paramref name="dir"/>/cases.json with <paramref name="fontPath"/>; returns what differs from the committed files.</summary>
    public static (IReadOnlyList<string> Changes, Action Write) Compute(string dir, string fontPath)
    {
        var casesPath = Path.Combine(dir, CasesFile);
        if (!File.Exists(casesPath)) throw new FileNotFoundException($"renderer golden cases not found: {casesPath}");
        var committed = JsonSerializer.Deserialize<CaseFile>(File.ReadAllText(casesPath), Json)
            ?? throw new InvalidDataException($"{casesPath} is empty");
        if (committed.Format != Format || committed.Version != Version)
            throw new InvalidDataException($"{casesPath}: expected {Format} version {Version}, found {committed.Format} version {committed.Version}");

        var font = UnifontFont.Load(fontPath);
        var fontSha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(fontPath)));
        var changes = new List<string>();
        if (fontSha != committed.FontSha256) changes.Add($"font: {fontPath} has SHA-256 {fontSha}, the golden PNGs were drawn with {committed.FontSha256}");

        var cases = new List<Case>();
        var pngs = new List<(string Path, PixelImage Image)>();
        foreach (var c in committed.Cases)
        {
            var rendered = new TextRenderer(font, new TextRenderOptions { Size = c.Size, Scale = c.Scale }).Render(c.Text);
            var now = c with { Characters = rendered.Characters, Truncated = rendered.Truncated, Unknown = rendered.Unknown };
            if (now != c) changes.Add($"{c.Name}: characters {c.Characters}→{now.Characters}, truncated {c.Truncated}→{now.Truncated}, unknown {c.Unknown}→{now.Unknown}");
            cases.Add(now);

            var png = Path.Combine(dir, c.Name + ".png");
            var image = new PixelImage(c.Size, c.Size, 1, rendered.Pixels);
            pngs.Add((png, image));
            if (!File.Exists(png)) changes.Add($"{c.Name}.png: missing");
            else
            {
                var golden = new ImageDecoder(c.Size, c.Size, 1).Load(png).Pixels.ToArray();
                int differ = golden.Length == rendered.Pixels.Length ? golden.Zip(rendered.Pixels).Count(p => p.First != p.Second) : -1;
                if (differ != 0) changes.Add($"{c.Name}.png: {(differ < 0 ? "size differs" : $"{differ} of {golden.Length} pixels differ")}");
            }
        }
        return (changes, () =>
        {
            foreach (var (path, image) in pngs) ImagePreprocessor.SavePng(image, path);
            File.WriteAllText(casesPath, JsonSerializer.Serialize(committed with { FontSha256 = fontSha, Cases = cases }, Json) + "\n");
        });
    }
}
