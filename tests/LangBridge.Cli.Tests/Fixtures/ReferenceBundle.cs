namespace LangBridge.Cli.Tests.Fixtures;

/// <summary>The committed reference model exported once per test class (as build/pack.cake does), into a temp folder.</summary>
public sealed class ReferenceBundle : IDisposable
{
    private readonly TempDir _dir = new();

    public ReferenceBundle()
    {
        var root = LangBridgeCli.RepositoryRoot;
        Folder = Path.Combine(_dir.Path, "bundle");
        var result = LangBridgeCli.Run(root, "export",
            "--recipe", Path.Combine(root, "models", "lqae-reference.json"),
            "--checkpoint", Path.Combine(root, "models", "lqae-reference.lbck"),
            "--vocabulary", Path.Combine(root, "models", "lqae-reference.vocab.txt"),
            "-o", Folder);
        if (result.ExitCode != 0) throw new InvalidOperationException($"export failed: {result}");
    }

    public string Folder { get; }

    public void Dispose() => _dir.Dispose();
}
