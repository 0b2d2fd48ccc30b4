using System.Diagnostics;
using System.Text.Json;

namespace LangBridge.Onnx.Checking;

/// <summary>Result of the official ONNX checker on one file.</summary>
public sealed record OnnxCheckResult(string File, bool Passed, string? Error);

/// <summary>The official checker or its Python package is missing; the message says how to install it.</summary>
public sealed class OnnxCheckerUnavailableException(string message) : Exception(message);

/// <summary>
/// Runs the official ONNX checker, <c>onnx.checker.check_model(m, full_check=True)</c> (full shape
/// inference, strict), on many files in one Python process. Uses Debian's <c>python3-onnx</c> through
/// the system interpreter <c>/usr/bin/python3</c> (a pyenv/venv python earlier on the PATH usually lacks
/// it); the environment variable <c>LANGBRIDGE_PYTHON</c> overrides the interpreter.
/// </summary>
public static class OnnxPythonChecker
{
    public const string InstallHint =
        "Install the official ONNX checker: `apt-get update && apt-get install -y --no-install-recommends python3-onnx` " +
        "(it is used through /usr/bin/python3; set LANGBRIDGE_PYTHON to use another interpreter that has the onnx package).";

    private const string Script = """
import json, sys
try:
    import onnx
except Exception as e:
    print(json.dumps({"unavailable": str(e)}), flush=True)
    sys.exit(3)
print(json.dumps({"onnx": onnx.__version__, "maxOpset": onnx.defs.onnx_opset_version(), "maxIr": onnx.IR_VERSION}), flush=True)
for path in sys.argv[1:]:
    try:
        m = onnx.load(path)
        onnx.checker.check_model(m, full_check=True)
        print(json.dumps({"file": path, "ok": True}), flush=True)
    except Exception as e:
        print(json.dumps({"file": path, "ok": False, "error": (type(e).__name__ + ": " + str(e))[:2000]}), flush=True)
""";

    public static string Interpreter =>
        Environment.GetEnvironmentVariable("LANGBRIDGE_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    /// <summary>Version of the onnx package and the highest opset / IR version its checker knows.</summary>
    public sealed record CheckerInfo(string Version, int MaxOpset, int MaxIrVersion);

    /// <summary>Checks every file; throws <see cref="OnnxCheckerUnavailableException"/> when the checker cannot run.</summary>
    public static (CheckerInfo Info, IReadOnlyList<OnnxCheckResult> Results) Check(IReadOnlyList<string> files, TimeSpan? timeout = null, string? interpreter = null)
    {
        interpreter ??= Interpreter;
        var psi = new ProcessStartInfo(interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Script);
        foreach (var f in files) psi.ArgumentList.Add(Path.GetFullPath(f));
        Process proc;
        try
        {
            proc = Process.Start(psi) ?? throw new OnnxCheckerUnavailableException($"Could not start {interpreter}. {InstallHint}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new OnnxCheckerUnavailableException($"Could not start {interpreter} ({e.Message}). {InstallHint}");
        }
        using (proc)
        {
            var stderrTask = proc.StandardError.ReadToEndAsync();
            var lines = new List<string>();
            string? line;
            while ((line = proc.StandardOutput.ReadLine()) is not null) lines.Add(line);
            if (!proc.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
            {
                proc.Kill(entireProcessTree: true);
                throw new TimeoutException("The ONNX checker did not finish in time.");
            }
            var stderr = stderrTask.Result;
            if (lines.Count == 0)
                throw new OnnxCheckerUnavailableException($"{interpreter} printed nothing (exit {proc.ExitCode}): {stderr.Trim()} {InstallHint}");
            using var head = JsonDocument.Parse(lines[0]);
            if (head.RootElement.TryGetProperty("unavailable", out var why))
                throw new OnnxCheckerUnavailableException($"The Python package 'onnx' is not importable by {interpreter} ({why.GetString()}). {InstallHint}");
            var info = new CheckerInfo(head.RootElement.GetProperty("onnx").GetString()!,
                head.RootElement.GetProperty("maxOpset").GetInt32(), head.RootElement.GetProperty("maxIr").GetInt32());
            var results = new List<OnnxCheckResult>();
            foreach (var l in lines.Skip(1))
            {
                using var doc = JsonDocument.Parse(l);
                var r = doc.RootElement;
                results.Add(new OnnxCheckResult(r.GetProperty("file").GetString()!, r.GetProperty("ok").GetBoolean(),
                    r.TryGetProperty("error", out var err) ? err.GetString() : null));
            }
            if (results.Count != files.Count)
                throw new InvalidOperationException($"The ONNX checker reported {results.Count} of {files.Count} files (exit {proc.ExitCode}): {stderr.Trim()}");
            return (info, results);
        }
    }
}
