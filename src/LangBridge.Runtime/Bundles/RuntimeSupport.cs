namespace LangBridge.Runtime;

/// <summary>What this runtime can load: bundle format version and ONNX opset / IR limits.</summary>
public static class RuntimeSupport
{
    /// <summary>The bundle <c>formatVersion</c> this runtime writes (and the newest it reads).</summary>
    public const int FormatVersion = 2;

    /// <summary>Every <c>formatVersion</c> this runtime reads; version 1 manifests are mapped onto the version 2 model.</summary>
    public static IReadOnlyList<int> ReadableFormatVersions { get; } = [1, 2];

    /// <summary>
    /// Highest default-domain ONNX opset accepted. Measured with ONNX Runtime 1.31.1 (the version
    /// this package is built against): opset 26 loads, 27 is refused as "under development".
    /// A different native build still gets its own load error translated by the runtime.
    /// </summary>
    public const int MaxOpset = 26;

    /// <summary>Highest ONNX IR version accepted (ONNX Runtime 1.31.1: 13 loads, 14 is refused).</summary>
    public const int MaxIrVersion = 13;

    private static readonly Lazy<string> Version = new(ReadVersion);

    /// <summary>
    /// The version of the loaded ONNX Runtime native library, or a note saying it could not be
    /// loaded (no native package referenced).
    /// </summary>
    public static string OnnxRuntimeVersion => Version.Value;

    private static string ReadVersion()
    {
        try
        {
            return Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString();
        }
        catch (Exception e) when (OnnxRuntimeErrors.IsNativeLibraryMissing(e))
        {
            return "(native library not loaded)";
        }
    }
}
