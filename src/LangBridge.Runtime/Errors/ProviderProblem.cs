namespace LangBridge.Runtime;

/// <summary>Why an execution provider could not be used (<see cref="ExecutionProviderUnavailableException.Problem"/>).</summary>
public enum ProviderProblem
{
    /// <summary>The provider failed to start for a reason the runtime could not classify; the message carries ONNX Runtime's.</summary>
    FailedToStart = 0,

    /// <summary>The loaded native library does not contain the provider: reference <c>Microsoft.ML.OnnxRuntime.Gpu</c>.</summary>
    NotInNativeLibrary,

    /// <summary>The provider is in the native library, but the CUDA, cuDNN or TensorRT libraries it needs are not on the library path.</summary>
    LibrariesMissing,

    /// <summary>The provider and its libraries load, but no usable GPU (or driver) is visible.</summary>
    NoDevice,

    /// <summary>No ONNX Runtime native library could be loaded at all.</summary>
    NativeLibraryMissing,
}
