using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime;

/// <summary>
/// What the loaded ONNX Runtime native library offers, and how a requested provider becomes
/// session options. <see cref="ExecutionProvider.Auto"/> tries TensorRT, CUDA, then CPU.
/// </summary>
public static class ExecutionProviders
{
    /// <summary>ONNX Runtime's name of the CPU provider.</summary>
    public const string CpuName = "CPUExecutionProvider";

    /// <summary>ONNX Runtime's name of the CUDA provider.</summary>
    public const string CudaName = "CUDAExecutionProvider";

    /// <summary>ONNX Runtime's name of the TensorRT provider.</summary>
    public const string TensorRtName = "TensorrtExecutionProvider";

    /// <summary>The NuGet package that brings the CUDA and TensorRT providers.</summary>
    public const string GpuPackage = "Microsoft.ML.OnnxRuntime.Gpu";

    /// <summary>The NuGet package that brings the CPU native library.</summary>
    public const string CpuPackage = "Microsoft.ML.OnnxRuntime";

    /// <summary>
    /// What the CUDA provider of <see cref="GpuPackage"/> 1.31 needs on the machine (its native
    /// library links libcudart.so.13 and libcublas.so.13; cuDNN is loaded at run time).
    /// </summary>
    public const string CudaPrerequisites = "an NVIDIA driver for CUDA 13, the CUDA 13.x runtime (cudart, cuBLAS, cuBLASLt, cuRAND) and cuDNN 9";

    /// <summary>What the TensorRT provider of <see cref="GpuPackage"/> 1.31 needs (libnvinfer.so.10, libnvonnxparser.so.10, libcudnn.so.9).</summary>
    public const string TensorRtPrerequisites = CudaPrerequisites + ", and TensorRT 10 (nvinfer, nvonnxparser)";

    /// <summary>The providers the loaded native library reports, e.g. <c>[CPUExecutionProvider]</c>.</summary>
    /// <exception cref="ExecutionProviderUnavailableException">No ONNX Runtime native library could be loaded.</exception>
    public static IReadOnlyList<string> Available() =>
        OnnxRuntimeErrors.Guard(ExecutionProvider.Auto, () => (IReadOnlyList<string>)OrtEnv.Instance().GetAvailableProviders());

    /// <summary>ONNX Runtime's provider name for a provider.</summary>
    public static string NameOf(ExecutionProvider provider) => provider switch
    {
        ExecutionProvider.Cpu => CpuName,
        ExecutionProvider.Cuda => CudaName,
        ExecutionProvider.TensorRt => TensorRtName,
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Auto has no provider name."),
    };

    /// <summary>
    /// The providers to try, best first: the requested one alone, or for Auto those of TensorRT,
    /// CUDA that are present, then CPU. Throws for an explicit request that is not present.
    /// </summary>
    internal static IReadOnlyList<ExecutionProvider> Candidates(ExecutionProvider requested, IReadOnlyList<string> available, Action<string>? log)
    {
        if (requested != ExecutionProvider.Auto)
        {
            if (requested != ExecutionProvider.Cpu && !available.Contains(NameOf(requested)))
            {
                throw OnnxRuntimeErrors.ProviderUnavailable(requested, available, cause: null);
            }

            return [requested];
        }

        var candidates = new List<ExecutionProvider>(3);
        foreach (var gpu in (ExecutionProvider[])[ExecutionProvider.TensorRt, ExecutionProvider.Cuda])
        {
            if (available.Contains(NameOf(gpu)))
            {
                candidates.Add(gpu);
            }
            else
            {
                log?.Invoke($"Auto: {NameOf(gpu)} is not in the loaded ONNX Runtime (available: {string.Join(", ", available)}); " +
                            $"reference {GpuPackage} instead of {CpuPackage} to use it.");
            }
        }

        candidates.Add(ExecutionProvider.Cpu);
        return candidates;
    }

    /// <summary>
    /// A TensorRT shape profile for every input of a graph with the batch dimension set, in
    /// ONNX Runtime's format: <c>image:1x1x28x28,mask:1x49</c>; <c>null</c> when an input has a
    /// symbolic dimension other than <c>batch</c> (its range is not known, so TensorRT picks shapes as it meets them).
    /// </summary>
    internal static string? TensorRtProfile(GraphSpec graph, int batch) =>
        graph.Inputs.Any(i => i.Shape.Any(d => d.IsSymbolic && d.Symbol != TensorDimension.BatchSymbol))
            ? null
            : string.Join(",", graph.Inputs.Select(input =>
                input.Name + ":" + string.Join("x", input.Shape.Select(d =>
                    (d.IsSymbolic ? batch : d.Size!.Value).ToString(System.Globalization.CultureInfo.InvariantCulture)))));

    /// <summary>
    /// The provider options handed to ONNX Runtime's TensorRT provider for these options (and, with
    /// <see cref="RuntimeOptions.TensorRtMaxBatch"/>, this graph's shape profile): exactly the
    /// dictionary passed to <c>OrtTensorRTProviderOptions.UpdateOptions</c> when a session is created.
    /// </summary>
    public static IReadOnlyDictionary<string, string> TensorRtProviderOptions(RuntimeOptions options, GraphSpec? graph = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_id"] = options.CudaDeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["trt_fp16_enable"] = options.TensorRtFp16 ? "1" : "0",
        };
        if (options.TensorRtEngineCacheFolder is { } cache)
        {
            settings["trt_engine_cache_enable"] = "1";
            settings["trt_engine_cache_path"] = cache;
        }

        if (options.TensorRtWorkspaceBytes is { } workspace)
        {
            settings["trt_max_workspace_size"] = workspace.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (options.TensorRtMaxBatch is { } maxBatch && graph is not null && TensorRtProfile(graph, 1) is { } min)
        {
            settings["trt_profile_min_shapes"] = min;
            settings["trt_profile_opt_shapes"] = TensorRtProfile(graph, maxBatch)!;
            settings["trt_profile_max_shapes"] = TensorRtProfile(graph, maxBatch)!;
        }

        return settings;
    }

    /// <summary>The provider options handed to ONNX Runtime's CUDA provider for these options.</summary>
    public static IReadOnlyDictionary<string, string> CudaProviderOptions(RuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_id"] = options.CudaDeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (options.GpuMemoryLimitBytes is { } limit)
        {
            settings["gpu_mem_limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    /// <summary>
    /// Appends one provider to <paramref name="sessionOptions"/>. Provider option objects are added
    /// to <paramref name="owned"/> so they live as long as the session. Native failures are
    /// translated into <see cref="ExecutionProviderUnavailableException"/>.
    /// </summary>
    internal static void Append(SessionOptions sessionOptions, ExecutionProvider provider, RuntimeOptions options,
        IReadOnlyList<string> available, List<IDisposable> owned, GraphSpec? graph = null)
    {
        switch (provider)
        {
            case ExecutionProvider.Cpu:
                return; // ONNX Runtime always ends with the CPU provider; nothing to append.
            case ExecutionProvider.TensorRt:
                OnnxRuntimeErrors.Guard(provider, available, () =>
                {
                    var trt = new OrtTensorRTProviderOptions();
                    owned.Add(trt);
                    trt.UpdateOptions(new Dictionary<string, string>(TensorRtProviderOptions(options, graph)));
                    sessionOptions.AppendExecutionProvider_Tensorrt(trt);
                });

                // Nodes TensorRT cannot take run on CUDA rather than on the CPU, when CUDA is there.
                if (available.Contains(CudaName))
                {
                    Append(sessionOptions, ExecutionProvider.Cuda, options, available, owned);
                }

                return;
            case ExecutionProvider.Cuda:
                OnnxRuntimeErrors.Guard(provider, available, () =>
                {
                    var cuda = new OrtCUDAProviderOptions();
                    owned.Add(cuda);
                    cuda.UpdateOptions(new Dictionary<string, string>(CudaProviderOptions(options)));
                    sessionOptions.AppendExecutionProvider_CUDA(cuda);
                });
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "Auto is resolved before appending.");
        }
    }
}
