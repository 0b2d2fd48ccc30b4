namespace LangBridge.Runtime;

/// <summary>
/// An execution provider was asked for explicitly (<see cref="ExecutionProvider.Cuda"/> or
/// <see cref="ExecutionProvider.TensorRt"/>) but the loaded ONNX Runtime native library does not
/// bring it, or it failed to start (its CUDA/TensorRT libraries missing, no device: see <see cref="Problem"/>). The message lists the providers that are available and names
/// the NuGet package that brings the missing one. Use <see cref="ExecutionProvider.Auto"/> to fall
/// back silently instead.
/// </summary>
public sealed class ExecutionProviderUnavailableException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    public ExecutionProviderUnavailableException(
        ExecutionProvider requested, IReadOnlyList<string> available, string packageHint, string message, Exception? innerException = null,
        ProviderProblem problem = ProviderProblem.FailedToStart)
        : base(message, innerException)
    {
        Problem = problem;
        Requested = requested;
        Available = available;
        PackageHint = packageHint;
    }

    /// <summary>The provider that was asked for.</summary>
    public ExecutionProvider Requested { get; }

    /// <summary>The providers the loaded native library reports.</summary>
    public IReadOnlyList<string> Available { get; }

    /// <summary>What is missing: the provider in the native library, its CUDA/TensorRT libraries, a device, or the native library itself.</summary>
    public ProviderProblem Problem { get; }

    /// <summary>The shared library that could not be found (e.g. <c>libcublasLt.so.13</c>) when <see cref="Problem"/> is <see cref="ProviderProblem.LibrariesMissing"/>.</summary>
    public string? MissingLibrary { get; init; }

    /// <summary>The NuGet package that brings the missing provider.</summary>
    public string PackageHint { get; }
}
