using System.Text.Json;
using LangBridge.Data;
using LangBridge.Onnx.Checking;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Parity;
using LangBridge.Runtime;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Golden;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Cli;

/// <summary>
/// The one place where the CLI turns failures into exit codes, everything on standard error (standard
/// output is for results only):
/// <list type="bullet">
/// <item>a user-level failure (<see cref="IsUserError"/>): one line <c>error: …</c>, exit 1; its stack
/// trace only with <c>--verbose</c>;</item>
/// <item>cancellation: one line, exit 130;</item>
/// <item>anything else is a bug: <c>error: unexpected …</c> and the full stack trace, exit 70.</item>
/// </list>
/// </summary>
internal static class CommandErrors
{
    public const int UserError = 1;
    public const int Cancelled = 130;
    public const int Unexpected = 70; // EX_SOFTWARE: an internal error, not the user's input

    /// <summary>Set once from the global <c>--verbose</c> option before a command runs.</summary>
    public static bool Verbose { get; set; }

    public static Task<int> Guard(Func<Task<int>> body) => Guard(body, Console.Error, Verbose);

    public static Task<int> Guard(Func<int> body) => Guard(() => Task.FromResult(body()));

    internal static Task<int> Guard(Func<int> body, TextWriter error, bool verbose) => Guard(() => Task.FromResult(body()), error, verbose);

    internal static async Task<int> Guard(Func<Task<int>> body, TextWriter error, bool verbose)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException e)
        {
            Report(error, "cancelled; files already written are complete, nothing half-written was kept.", verbose ? e : null);
            return Cancelled;
        }
        catch (Exception e) when (UserErrorOf(e) is { } user)
        {
            Report(error, OneLine(user.Message), verbose ? e : null);
            return UserError;
        }
        catch (Exception e)
        {
            Report(error, $"unexpected {e.GetType().FullName}: {OneLine(e.Message)}", e);
            return Unexpected;
        }
    }

    /// <summary>
    /// The failures a user causes and can fix (bad input, files, options, a failed check), as opposed to
    /// bugs. The guard prints these as one line. To make a new failure user-level, throw one of these
    /// types (or a subtype): never a bare <see cref="ArgumentException"/> or <see cref="InvalidOperationException"/>.
    /// </summary>
    public static bool IsUserError(Exception e) => e is
        // Each library's own base type: runtime (ONNX Runtime failures included) and imaging, data, recipes,
        // checkpoints, training (divergence, too few examples), golden files.
        LangBridgeException or DataException or RecipeException or CheckpointException or TrainingException or GoldenFileException
        // Pretrained networks: a package or file missing, a graph or weight file that does not fit the module.
        or LangBridge.Pretrained.PretrainedException
        // Export, the ONNX checker and ONNX Runtime called directly.
        or OnnxExportException or OnnxCheckerUnavailableException or OnnxRuntimeException
        // The CLI's own: a bad option value, a failed verification.
        or UsageException or Commands.CheckFailedException
        // Files the user named: missing, unreadable, not in the expected format.
        or IOException or UnauthorizedAccessException or InvalidDataException or JsonException;

    /// <summary>The user-level error behind <paramref name="e"/>, looking through parallel code's wrapping.</summary>
    private static Exception? UserErrorOf(Exception e) => e switch
    {
        _ when IsUserError(e) => e,
        AggregateException a when a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsUserError) => a.InnerExceptions[0],
        _ => null,
    };

    private static void Report(TextWriter error, string line, Exception? withStack)
    {
        error.WriteLine($"error: {line}");
        if (withStack is not null) error.WriteLine(withStack.ToString());
        error.Flush();
    }

    /// <summary>Native libraries' messages can span lines; the error stays one line.</summary>
    internal static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
