using System.CommandLine;

namespace LangBridge.Cli.Commands;

/// <summary>Options several commands share, built fresh for each command.</summary>
internal static class CommonOptions
{
    public static Option<string> Recipe() => new("--recipe")
    {
        Description = "Model recipe (JSON) under models/.",
        DefaultValueFactory = _ => "models/lqae-fashion.json",
    };

    public static Option<string?> DataRoot() => new("--data-root")
    {
        Description = "Data cache folder (default: artifacts/data under the repository root).",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Intra-op CPU threads for TorchSharp (0 = the recipe's setting, or all cores).",
        DefaultValueFactory = _ => 0,
    };
}
