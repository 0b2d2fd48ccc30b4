using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime;

/// <summary>
/// How the runtime creates ONNX Runtime sessions. Immutable: derive variants with <c>with</c>.
/// </summary>
/// <example><code>
/// var options = new RuntimeOptions { Provider = ExecutionProvider.Cuda, CudaDeviceId = 1, Log = Console.WriteLine };
/// </code></example>
public sealed record RuntimeOptions
{
    /// <summary>Defaults: <see cref="ExecutionProvider.Auto"/>, all graph optimisations, ONNX Runtime's thread count.</summary>
    public static RuntimeOptions Default { get; } = new();

    /// <summary>The execution provider; <see cref="ExecutionProvider.Auto"/> picks the best one present.</summary>
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Auto;

    /// <summary>GPU index for CUDA and TensorRT.</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>Upper bound of the CUDA memory arena in bytes; <c>null</c> leaves ONNX Runtime's default (no limit).</summary>
    public long? GpuMemoryLimitBytes { get; init; }

    /// <summary>Let TensorRT build fp16 engines (faster, slightly different numbers).</summary>
    public bool TensorRtFp16 { get; init; }

    /// <summary>Folder where TensorRT caches built engines; <c>null</c> disables the cache (engines are rebuilt per process).</summary>
    public string? TensorRtEngineCacheFolder { get; init; }

    /// <summary>TensorRT builder workspace in bytes; <c>null</c> leaves ONNX Runtime's default.</summary>
    public long? TensorRtWorkspaceBytes { get; init; }

    /// <summary>
    /// Largest batch TensorRT engines are built for. When set, every graph gets an optimisation
    /// profile from batch 1 to this size (optimised for this size), so one engine serves all batch
    /// sizes up to it; <c>null</c> lets TensorRT build an engine for each new batch size it meets.
    /// </summary>
    public int? TensorRtMaxBatch { get; init; }

    /// <summary>Threads per operator on CPU; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Whether each session's CPU threads spin-wait for work after a run (ONNX Runtime's default). Off by default:
    /// a bundle runs its graphs one after another in separate sessions, and the spinning threads of one compete
    /// with the next one's for the cores (on two cores, encoder then quantizer of a BERT bundle took 7.1 ms
    /// spinning and 2.9 ms not). Turn it on when one small graph dominates and latency matters (the GloVe LQAE bundle
    /// encodes an image in about 1.0 ms spinning, 1.3 ms not).
    /// </summary>
    public bool ThreadSpinning { get; init; }

    /// <summary>Graph optimisation level applied when sessions are created.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Receives one line per decision (which provider was chosen and why); <c>null</c> discards them.</summary>
    public Action<string>? Log { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(Provider))
        {
            throw new ArgumentOutOfRangeException(nameof(Provider), Provider, "Unknown execution provider.");
        }

        if (CudaDeviceId < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CudaDeviceId), CudaDeviceId, "The CUDA device id must not be negative.");
        }

        if (GpuMemoryLimitBytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(GpuMemoryLimitBytes), GpuMemoryLimitBytes, "The GPU memory limit must be positive.");
        }

        if (TensorRtWorkspaceBytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TensorRtWorkspaceBytes), TensorRtWorkspaceBytes, "The TensorRT workspace must be positive.");
        }

        if (TensorRtMaxBatch is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TensorRtMaxBatch), TensorRtMaxBatch, "The TensorRT maximum batch must be positive.");
        }

        if (IntraOpThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "The thread count must not be negative (0 = ONNX Runtime's choice).");
        }
    }
}
