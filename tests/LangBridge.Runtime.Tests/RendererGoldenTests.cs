using System.Security.Cryptography;
using System.Text.Json;
using LangBridge.Imaging;
using LangBridge.Runtime;

namespace LangBridge.Runtime.Tests;

/// <summary>
/// The renderer against its golden PNGs (Golden/renderer): the real GNU Unifont from the data cache, every
/// pixel compared exactly, and what the renderer reports (characters, truncation, unknown characters) as
/// recorded. The PNGs are regenerated only by <c>langbridge golden --renderer --accept</c>.
/// </summary>
public sealed class RendererGoldenTests
{
    private sealed record Case(string Name, string Text, int Size, int Scale, int Characters, bool Truncated, int Unknown);

    private sealed record CaseFile(string Format, int Version, string FontSha256, Case[] Cases);

    private static readonly string RepoRoot = FindRepoRoot();
    private static readonly string GoldenDir = Path.Combine(RepoRoot, "tests", "LangBridge.Runtime.Tests", "Golden", "renderer");
    private static readonly CaseFile Golden = JsonSerializer.Deserialize<CaseFile>(File.ReadAllText(Path.Combine(GoldenDir, "cases.json")),
        new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase })!;

    public static TheoryData<string> CaseNames => new(Golden.Cases.Select(c => c.Name));

    /// <summary>The data cache's unifont.hex ($LANGBRIDGE_DATA_ROOT or artifacts/data); the Test task fetches it.</summary>
    private static readonly Lazy<(UnifontFont Font, string Sha256)> Font = new(() =>
    {
        var root = Environment.GetEnvironmentVariable("LANGBRIDGE_DATA_ROOT") is { Length: > 0 } env ? env : Path.Combine(RepoRoot, "artifacts", "data");
        var path = Path.Combine(root, "unifont", "unifont.hex");
        if (!File.Exists(path))
            throw new FileNotFoundException($"GNU Unifont is not in the data cache ({path}): `./build.sh --target=Test` fetches it, or run `langbridge data fetch --only unifont`.");
        return (UnifontFont.Load(path), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
    });

    [Fact]
    public void TheGoldenFileIsVersionedAndNamesTheFontItWasDrawnWith()
    {
        Assert.Equal(("langbridge-renderer-golden", 1), (Golden.Format, Golden.Version));
        Assert.Equal(Golden.FontSha256, Font.Value.Sha256);
        // The cases cover what the renderer must get right.
        Assert.Contains(Golden.Cases, c => c.Text.Length == 0);
        Assert.Contains(Golden.Cases, c => c.Truncated);
        Assert.Contains(Golden.Cases, c => c.Text.Any(ch => ch > 0x2E80));      // CJK: full-width glyphs
        Assert.Contains(Golden.Cases, c => c.Scale > 1);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void RenderedPixelsMatchTheGoldenPngBitForBit(string name)
    {
        var c = Golden.Cases.Single(x => x.Name == name);
        var rendered = new TextRenderer(Font.Value.Font, new TextRenderOptions { Size = c.Size, Scale = c.Scale }).Render(c.Text);

        var golden = new ImageDecoder(c.Size, c.Size, 1).Load(Path.Combine(GoldenDir, c.Name + ".png")).Pixels.ToArray();
        Assert.Equal(golden.Length, rendered.Pixels.Length);
        var differ = Enumerable.Range(0, golden.Length).Where(i => golden[i] != rendered.Pixels[i]).ToArray();
        Assert.True(differ.Length == 0,
            $"{c.Name}: {differ.Length} of {golden.Length} pixels differ from {c.Name}.png, the first at (x {differ.FirstOrDefault() % c.Size}, y {differ.FirstOrDefault() / c.Size})");
        Assert.Equal((c.Characters, c.Truncated, c.Unknown), (rendered.Characters, rendered.Truncated, rendered.Unknown));
    }

    private static string FindRepoRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "LangBridge.slnx")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("LangBridge.slnx not found above the test assembly.");
        return root;
    }
}
