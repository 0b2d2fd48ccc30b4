using LangBridge.Data;
using LangBridge.Onnx.Export;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Recipes;
using Spectre.Console;

namespace LangBridge.Cli;

/// <summary>
/// The one place where the CLI turns failures into a single readable line and an exit code:
/// 1 for bad input or a failed check, 130 for cancellation. Unexpected exceptions keep their stack trace.
/// </summary>
internal static class CommandErrors
{
    public static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[red]error:[/] cancelled; files already written are complete, nothing half-written was kept.");
            return 130;
        }
        catch (Exception e) when (e is RecipeException or CheckpointException or DataException or OnnxExportException
                                      or LangBridge.Runtime.LangBridgeException or Commands.CheckFailedException
                                      or IOException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 1;
        }
    }

    public static Task<int> Guard(Func<int> body) => Guard(() => Task.FromResult(body()));
}
