using LangBridge.Training.Golden;

namespace LangBridge.Cli.Tests;

/// <summary>
/// `langbridge golden` prints what changed and refuses to write without --accept. (It used to overwrite a
/// changed golden file and exit 0, which is how a golden file gets re-accepted to turn a test green.)
/// </summary>
public sealed class GoldenCommandTests : IDisposable
{
    private static readonly string Committed = Path.Combine(LangBridgeCli.RepositoryRoot, "tests", "LangBridge.Training.Tests", "Golden");
    private readonly string dir = Directory.CreateTempSubdirectory("lb-golden-cli-").FullName;

    public GoldenCommandTests()
    {
        foreach (var file in Directory.GetFiles(Committed)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string GoldenFile => Path.Combine(dir, "lqae-reference.golden.safetensors");

    [Fact]
    public void AChangedGoldenFileIsReportedAndLeftAloneWithoutAccept()
    {
        // Pretend the committed outputs say something else for one token.
        var golden = GoldenOutputs.Load(GoldenFile);
        var ids = golden.Tensor("token_ids");
        var edited = (long[])ids.Int64!.Clone();
        edited[5] = (edited[5] + 1) % 1024;
        new GoldenOutputs([ids with { Int64 = edited }, golden.Tensor("reconstructions")], golden.Metadata).Save(GoldenFile);
        var before = File.ReadAllBytes(GoldenFile);

        var refused = LangBridgeCli.Run(LangBridgeCli.RepositoryRoot, "golden", "--golden-dir", dir);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("token_ids: 1 of", refused.StandardOutput);
        Assert.Contains("--accept", refused.StandardError);
        Assert.Equal(before, File.ReadAllBytes(GoldenFile));

        var accepted = LangBridgeCli.Run(LangBridgeCli.RepositoryRoot, "golden", "--golden-dir", dir, "--accept");
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
        Assert.Equal(GoldenOutputs.Load(Path.Combine(Committed, "lqae-reference.golden.safetensors")).Tensor("token_ids").Int64,
            GoldenOutputs.Load(GoldenFile).Tensor("token_ids").Int64);
    }

    [Fact]
    public void AChangedRendererPngIsReportedAndRestoredOnlyWithAccept()
    {
        var committed = Path.Combine(LangBridgeCli.RepositoryRoot, "tests", "LangBridge.Runtime.Tests", "Golden", "renderer");
        var renderer = Path.Combine(dir, "renderer");
        Directory.CreateDirectory(renderer);
        foreach (var file in Directory.GetFiles(committed)) File.Copy(file, Path.Combine(renderer, Path.GetFileName(file)));
        // The empty canvas's PNG replaced by another case's: every ink pixel of that case differs.
        File.Copy(Path.Combine(renderer, "caption-56.png"), Path.Combine(renderer, "empty-56.png"), overwrite: true);

        var refused = LangBridgeCli.Run(LangBridgeCli.RepositoryRoot, "golden", "--renderer", "--golden-dir", renderer);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("empty-56.png:", refused.StandardOutput);
        Assert.DoesNotContain("caption-56.png:", refused.StandardOutput);
        Assert.Equal(File.ReadAllBytes(Path.Combine(renderer, "caption-56.png")), File.ReadAllBytes(Path.Combine(renderer, "empty-56.png")));

        var accepted = LangBridgeCli.Run(LangBridgeCli.RepositoryRoot, "golden", "--renderer", "--golden-dir", renderer, "--accept");
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
        var again = LangBridgeCli.Run(LangBridgeCli.RepositoryRoot, "golden", "--renderer", "--golden-dir", renderer);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("unchanged", again.StandardOutput);
    }

    [Fact]
    public void UnchangedGoldenOutputsExitZeroAndWriteNothing()
    {
        var before = File.GetLastWriteTimeUtc(GoldenFile);
        var result = LangBridgeCli.Run(LangBridgeCli.RepositoryRoot, "golden", "--golden-dir", dir);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("unchanged", result.StandardOutput);
        Assert.Equal(before, File.GetLastWriteTimeUtc(GoldenFile));
    }
}
