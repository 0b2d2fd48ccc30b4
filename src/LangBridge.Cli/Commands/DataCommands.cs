using System.CommandLine;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge data …`: fetch and inspect the real data and the language codebook.</summary>
internal static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "Fetch, cache and inspect the training data and the language codebook.");
        return data;
    }
}
