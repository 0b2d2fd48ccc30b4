namespace LangBridge.Training.Tests;

internal static class TestPaths
{
    /// <summary>The folder holding LangBridge.slnx, found from the test assembly's location.</summary>
    public static string RepositoryRoot { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LangBridge.slnx"))) return dir.FullName;
        throw new InvalidOperationException("LangBridge.slnx not found above the test assembly");
    }
}
