using System.Diagnostics;
using System.Text;

namespace LangBridge.Samples.Tests;

/// <summary>Runs `dotnet …` child processes for the packaging tests, with a time limit and captured output.</summary>
internal static class ProcessRunner
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
    {
        public string Tail(int lines = 40)
        {
            var all = (StandardOutput + "\n" + StandardError).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join('\n', all.TakeLast(lines));
        }
    }

    /// <summary>The dotnet host running this test (so children use the same SDK install), else `dotnet` from PATH.</summary>
    public static string Dotnet { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static Result Run(string workingDirectory, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Dotnet)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        // `dotnet test` hands its MSBuild and VSTest settings to the test host; a nested build must not inherit them.
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(key);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";   // no MSBuild nodes left behind holding our pipes
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var watch = Stopwatch.StartNew();
        var outputClosed = new TaskCompletionSource();   // nothing to dispose: events may still arrive late
        var errorClosed = new TaskCompletionSource();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is null) outputClosed.TrySetResult(); else lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is null) errorClosed.TrySetResult(); else lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s.\n{stdout}\n{stderr}");
        }

        // A compiler server started by the build may keep the pipes open after the process exited:
        // wait for the end of the output only briefly.
        Task.WaitAll([outputClosed.Task, errorClosed.Task], TimeSpan.FromSeconds(5));

        lock (stdout) lock (stderr)
            return new Result(process.ExitCode, stdout.ToString(), stderr.ToString(), watch.Elapsed);
    }
}
