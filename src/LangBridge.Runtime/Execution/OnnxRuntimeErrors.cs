using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime;

/// <summary>
/// The one place where errors from the ONNX Runtime native library (OnnxRuntimeException,
/// EntryPointNotFoundException from a CPU-only build, DllNotFoundException when no native package
/// is referenced) become typed <see cref="LangBridgeException"/>s with a message that says what to
/// do. Used by the runtime's sessions and by every other LangBridge component that runs ONNX Runtime.
/// </summary>
/// <example><code>
/// try { session = new InferenceSession(bytes, options); }
/// catch (Exception e) when (OnnxRuntimeErrors.IsNative(e)) { throw OnnxRuntimeErrors.SessionFailed("encoder.onnx", e); }
/// </code></example>
public static partial class OnnxRuntimeErrors
{
    /// <summary>Whether the exception comes from the native library or its binding.</summary>
    public static bool IsNative(Exception e) =>
        e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or BadImageFormatException ||
        (e is TypeInitializationException t && t.InnerException is { } inner && IsNative(inner));

    /// <summary>Whether the native library itself could not be loaded.</summary>
    public static bool IsNativeLibraryMissing(Exception e) =>
        e is DllNotFoundException or BadImageFormatException ||
        (e is TypeInitializationException t && t.InnerException is { } inner && IsNativeLibraryMissing(inner));

    /// <summary>The error code ONNX Runtime puts in its messages (<c>[ErrorCode:InvalidArgument] …</c>), or <c>null</c>.</summary>
    public static string? ErrorCodeOf(Exception e) =>
        e.Message is { } text && ErrorCodePattern().Match(text) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>
    /// Translates a failure to create a session from a graph: <see cref="UnsupportedOpsetException"/>
    /// for an opset or IR version the library refuses, <see cref="ExecutionProviderUnavailableException"/>
    /// when no native library is present, else <see cref="InferenceException"/> naming the graph.
    /// </summary>
    /// <param name="file">The graph (a bundle file name, or what the caller calls the model).</param>
    /// <param name="e">The native failure.</param>
    public static LangBridgeException SessionFailed(string file, Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (IsNativeLibraryMissing(e))
        {
            return NativeLibraryMissing(ExecutionProvider.Auto, e);
        }

        var text = e.Message;
        if (OpsetPattern().Match(text) is { Success: true } opset)
        {
            return new UnsupportedOpsetException(file, "opset", long.Parse(opset.Groups[1].Value, CultureInfo.InvariantCulture),
                long.Parse(opset.Groups[2].Value, CultureInfo.InvariantCulture), RuntimeSupport.OnnxRuntimeVersion);
        }

        if (IrPattern().Match(text) is { Success: true } ir)
        {
            return new UnsupportedOpsetException(file, "IR version", long.Parse(ir.Groups[1].Value, CultureInfo.InvariantCulture),
                long.Parse(ir.Groups[2].Value, CultureInfo.InvariantCulture), RuntimeSupport.OnnxRuntimeVersion);
        }

        return new InferenceException(file,
            $"ONNX Runtime could not load '{file}': {FirstLine(text)}. If the file passed its integrity checks, the graph likely needs an operator or " +
            "feature this ONNX Runtime build lacks; re-export it with the default opset or upgrade the ONNX Runtime native package.", e)
        {
            Stage = InferenceStage.Load,
            OrtErrorCode = ErrorCodeOf(e),
        };
    }

    /// <summary>Translates a failure while running a graph into <see cref="InferenceException"/> naming it.</summary>
    public static LangBridgeException RunFailed(string file, Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return IsNativeLibraryMissing(e)
            ? NativeLibraryMissing(ExecutionProvider.Auto, e)
            : new InferenceException(file, $"ONNX Runtime failed while running '{file}': {FirstLine(e.Message)}.", e)
            {
                Stage = InferenceStage.Run,
                OrtErrorCode = ErrorCodeOf(e),
            };
    }

    /// <summary>
    /// A provider that is absent from the loaded native library, or listed by it but failing to start
    /// (its CUDA / cuDNN / TensorRT libraries missing, no device), with a message naming what is missing.
    /// </summary>
    public static ExecutionProviderUnavailableException ProviderUnavailable(ExecutionProvider requested, IReadOnlyList<string> available, Exception? cause)
    {
        ArgumentNullException.ThrowIfNull(available);
        var name = ExecutionProviders.NameOf(requested);
        var prerequisites = requested == ExecutionProvider.TensorRt ? ExecutionProviders.TensorRtPrerequisites : ExecutionProviders.CudaPrerequisites;
        if (!available.Contains(name))
        {
            return new ExecutionProviderUnavailableException(requested, available, ExecutionProviders.GpuPackage,
                $"Execution provider {requested} ({name}) was requested, but the loaded ONNX Runtime native library does not provide it " +
                $"(available providers: {string.Join(", ", available)}). Reference the NuGet package {ExecutionProviders.GpuPackage} " +
                $"instead of {ExecutionProviders.CpuPackage} (and install {prerequisites}), or use ExecutionProvider.Auto or ExecutionProvider.Cpu.",
                cause, ProviderProblem.NotInNativeLibrary);
        }

        var detail = FirstLine(cause?.Message);
        var missing = MissingLibraryPattern().Match(cause?.Message ?? string.Empty) is { Success: true } found
            ? (found.Groups[1].Success ? found.Groups[1].Value : found.Groups[2].Value)
            : null;
        var (problem, what) = cause switch
        {
            EntryPointNotFoundException => (ProviderProblem.NotInNativeLibrary, $"this native library build lacks it ({detail}); reference {ExecutionProviders.GpuPackage}"),
            _ when detail.Contains("not enabled in this build", StringComparison.OrdinalIgnoreCase) =>
                (ProviderProblem.NotInNativeLibrary, $"this native library build lacks it ({detail}); reference {ExecutionProviders.GpuPackage}"),
            _ when missing is not null =>
                (ProviderProblem.LibrariesMissing,
                 $"the shared library {missing} cannot be found, so the {(requested == ExecutionProvider.TensorRt ? "TensorRT/CUDA" : "CUDA")} libraries are missing. " +
                 $"Install {prerequisites} and put them on the library path (LD_LIBRARY_PATH on Linux, PATH on Windows)"),
            _ when NoDevicePattern().IsMatch(cause?.Message ?? string.Empty) =>
                (ProviderProblem.NoDevice, $"no CUDA device is visible ({detail}). Check the NVIDIA driver, CUDA_VISIBLE_DEVICES and RuntimeOptions.CudaDeviceId"),
            _ => (ProviderProblem.FailedToStart,
                  $"{detail}. Check that {prerequisites} are installed and match the {ExecutionProviders.GpuPackage} version, and that a GPU is visible"),
        };
        return new ExecutionProviderUnavailableException(requested, available, ExecutionProviders.GpuPackage,
            $"Execution provider {requested} ({name}) is listed by the loaded ONNX Runtime but failed to start: {what}; " +
            "or use ExecutionProvider.Auto to fall back to the CPU.",
            cause, problem)
        {
            MissingLibrary = problem == ProviderProblem.LibrariesMissing ? missing : null,
        };
    }

    /// <summary>No ONNX Runtime native library could be loaded at all.</summary>
    public static ExecutionProviderUnavailableException NativeLibraryMissing(ExecutionProvider requested, Exception cause) =>
        new(requested, [], ExecutionProviders.CpuPackage,
            $"The ONNX Runtime native library could not be loaded ({FirstLine(cause?.Message)}). LangBridge.Runtime references only " +
            $"Microsoft.ML.OnnxRuntime.Managed: add {ExecutionProviders.CpuPackage} (CPU) or {ExecutionProviders.GpuPackage} (CUDA/TensorRT) to the application.",
            cause, ProviderProblem.NativeLibraryMissing);

    /// <summary>Runs a call that touches the native library, translating a missing library.</summary>
    internal static T Guard<T>(ExecutionProvider requested, Func<T> call)
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

    /// <summary>Appends a provider, translating its native failures.</summary>
    internal static void Guard(ExecutionProvider provider, IReadOnlyList<string> available, Action call)
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

    /// <summary>A short account of why a provider could not be used, for logs (e.g. Auto's fallback).</summary>
    internal static string Summary(ExecutionProviderUnavailableException e) => e.Problem switch
    {
        ProviderProblem.LibrariesMissing => $"{e.MissingLibrary} is missing: install {(e.Requested == ExecutionProvider.TensorRt ? ExecutionProviders.TensorRtPrerequisites : ExecutionProviders.CudaPrerequisites)} on the library path",
        ProviderProblem.NotInNativeLibrary => $"not in this ONNX Runtime native library; reference {ExecutionProviders.GpuPackage}",
        ProviderProblem.NoDevice => $"no CUDA device is visible ({FirstLine(e.InnerException?.Message)})",
        _ => FirstLine(e.InnerException?.Message ?? e.Message),
    };

    private static string FirstLine(string? text) =>
        text is null ? "no details" : text.Split('\n', 2)[0].Trim();

    // ONNX Runtime: "Opset 27 is under development ... Current official support for domain ai.onnx is till opset 26."
    [GeneratedRegex(@"Opset (\d+) .*?till opset (\d+)", RegexOptions.Singleline)]
    private static partial Regex OpsetPattern();

    // ONNX Runtime: "Unsupported model IR version: 14, max supported IR version: 13"
    [GeneratedRegex(@"IR version: (\d+), max supported IR version: (\d+)")]
    private static partial Regex IrPattern();

    [GeneratedRegex(@"\[ErrorCode:(\w+)\]")]
    private static partial Regex ErrorCodePattern();

    // GPU package without CUDA: "Failed to load library …/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file"
    // (Windows: "LoadLibrary failed with error 126 … onnxruntime_providers_cuda.dll").
    [GeneratedRegex(@"([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file|LoadLibrary failed with error 126[^\n]*?([\w.+-]+\.dll)")]
    private static partial Regex MissingLibraryPattern();

    [GeneratedRegex(@"no CUDA-capable device|cudaErrorNoDevice|CUDA failure 100|no NVIDIA GPU|cudaErrorInsufficientDriver|CUDA driver version is insufficient", RegexOptions.IgnoreCase)]
    private static partial Regex NoDevicePattern();
}
