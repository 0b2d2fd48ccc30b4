using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime;

/// <summary>
/// The one place where errors from the ONNX Runtime native library (OnnxRuntimeException,
/// EntryPointNotFoundException from a CPU-only build, DllNotFoundException when no native package
/// is referenced) become typed <see cref="LangBridgeException"/>s with a message that says what to do.
/// </summary>
internal static partial class NativeErrors
{
    /// <summary>Whether the exception comes from the native library or its binding.</summary>
    public static bool IsNative(Exception e) =>
        e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or BadImageFormatException ||
        (e is TypeInitializationException t && t.InnerException is { } inner && IsNative(inner));

    /// <summary>Whether the native library itself could not be loaded.</summary>
    public static bool IsNativeLibraryMissing(Exception e) =>
        e is DllNotFoundException or BadImageFormatException ||
        (e is TypeInitializationException t && t.InnerException is { } inner && IsNativeLibraryMissing(inner));

    /// <summary>Runs a call that touches the native library, translating its failures.</summary>
    public static T Guard<T>(ExecutionProvider requested, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (IsNativeLibraryMissing(e))
        {
            throw NativeLibraryMissing(requested, e);
        }
    }

    /// <summary>Appends a provider, translating "not in this build" errors.</summary>
    public static void Guard(ExecutionProvider provider, IReadOnlyList<string> available, Action call)
    {
        try
        {
            call();
        }
        catch (Exception e) when (IsNative(e))
        {
            throw ProviderUnavailable(provider, available, e);
        }
    }

    public static ExecutionProviderUnavailableException ProviderUnavailable(ExecutionProvider requested, IReadOnlyList<string> available, Exception? cause)
    {
        var name = ExecutionProviders.NameOf(requested);
        var listed = available.Contains(name);
        var prerequisites = requested == ExecutionProvider.TensorRt ? "CUDA, cuDNN and TensorRT" : "CUDA and cuDNN";
        var message = listed
            ? $"Execution provider {requested} ({name}) is listed by the loaded ONNX Runtime but failed to start: {FirstLine(cause?.Message)}. " +
              $"Check that {prerequisites} are installed and match the {ExecutionProviders.GpuPackage} version, and that a GPU is visible; " +
              "or use ExecutionProvider.Auto to fall back to the CPU."
            : $"Execution provider {requested} ({name}) was requested, but the loaded ONNX Runtime native library does not provide it " +
              $"(available providers: {string.Join(", ", available)}). Reference the NuGet package {ExecutionProviders.GpuPackage} " +
              $"instead of {ExecutionProviders.CpuPackage} (and install {prerequisites}), or use ExecutionProvider.Auto or ExecutionProvider.Cpu.";
        return new ExecutionProviderUnavailableException(requested, available, ExecutionProviders.GpuPackage, message, cause);
    }

    public static ExecutionProviderUnavailableException NativeLibraryMissing(ExecutionProvider requested, Exception cause) =>
        new(requested, [], ExecutionProviders.CpuPackage,
            $"The ONNX Runtime native library could not be loaded ({FirstLine(cause.Message)}). LangBridge.Runtime references only " +
            $"Microsoft.ML.OnnxRuntime.Managed: add {ExecutionProviders.CpuPackage} (CPU) or {ExecutionProviders.GpuPackage} (CUDA/TensorRT) to the application.",
            cause);

    /// <summary>Translates a failure to create a session from a graph file.</summary>
    public static LangBridgeException SessionFailed(string file, Exception e)
    {
        var text = e.Message;
        if (OpsetPattern().Match(text) is { Success: true } opset)
        {
            return new UnsupportedOpsetException(file, "opset", long.Parse(opset.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                long.Parse(opset.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), RuntimeSupport.OnnxRuntimeVersion);
        }

        if (IrPattern().Match(text) is { Success: true } ir)
        {
            return new UnsupportedOpsetException(file, "IR version", long.Parse(ir.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                long.Parse(ir.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), RuntimeSupport.OnnxRuntimeVersion);
        }

        return new InferenceException(file,
            $"ONNX Runtime could not load '{file}': {FirstLine(text)}. The bundle passed its integrity checks, so the graph likely needs an operator or " +
            "feature this ONNX Runtime build lacks; re-export it with the default opset or upgrade the ONNX Runtime native package.", e);
    }

    /// <summary>Translates a failure while running a graph.</summary>
    public static LangBridgeException RunFailed(string file, Exception e) =>
        new InferenceException(file, $"ONNX Runtime failed while running '{file}': {FirstLine(e.Message)}.", e);

    private static string FirstLine(string? text) =>
        text is null ? "no details" : text.Split('\n', 2)[0].Trim();

    // ONNX Runtime: "Opset 27 is under development ... Current official support for domain ai.onnx is till opset 26."
    [GeneratedRegex(@"Opset (\d+) .*?till opset (\d+)", RegexOptions.Singleline)]
    private static partial Regex OpsetPattern();

    // ONNX Runtime: "Unsupported model IR version: 14, max supported IR version: 13"
    [GeneratedRegex(@"IR version: (\d+), max supported IR version: (\d+)")]
    private static partial Regex IrPattern();
}
