namespace LangBridge.Benchmarks;

/// <summary>Finds the repository root (the folder holding LangBridge.slnx) and the bench output folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>artifacts/bench under the repository root (created on demand).</summary>
    public static string BenchDir
    {
        get
        {
            var dir = Path.Combine(Root, "artifacts", "bench");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "LangBridge.slnx"))) return d.FullName;
        throw new InvalidOperationException("Could not find the repository root (LangBridge.slnx) above the benchmark's folder or the current directory.");
    }
}
