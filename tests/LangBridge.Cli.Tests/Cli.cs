using LangBridge.Samples.Tests;

namespace LangBridge.Cli.Tests;

/// <summary>The built CLI, run as a child process from the repository root.</summary>
internal static class Cli
{
    public static string RepositoryRoot { get; } = FindRoot();

    private static string Dll => Path.Combine(RepositoryRoot, "artifacts", "bin", "LangBridge.Cli", "release", "langbridge.dll");

    public static ProcessRunner.Result Run(params string[] arguments)
    {
        if (!File.Exists(Dll)) throw new InvalidOperationException($"the CLI is not built: {Dll} (dotnet build -c Release builds it)");
        return ProcessRunner.Run(RepositoryRoot, [Dll, .. arguments], TimeSpan.FromMinutes(5));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LangBridge.slnx"))) return dir.FullName;
        throw new InvalidOperationException("LangBridge.slnx not found above the test assembly");
    }
}
