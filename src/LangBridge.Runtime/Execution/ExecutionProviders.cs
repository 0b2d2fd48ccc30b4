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

    /// <summary>The providers the loaded native library reports, e.g. <c>[CPUExecutionProvider]</c>.</summary>
    /// <exception cref="ExecutionProviderUnavailableException">No ONNX Runtime native library could be loaded.</exception>
    public static IReadOnlyList<string> Available() =>
        NativeErrors.Guard(ExecutionProvider.Auto, () => (IReadOnlyList<string>)OrtEnv.Instance().GetAvailableProviders());

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
                throw NativeErrors.ProviderUnavailable(requested, available, cause: null);
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
    /// ONNX Runtime's format: <c>image:1x1x28x28,mask:1x49</c>.
    /// </summary>
    internal static string TensorRtProfile(GraphSpec graph, int batch) =>
        string.Join(",", graph.Inputs.Select(input =>
            input.Name + ":" + string.Join("x", input.Shape.Select(d =>
                (d.IsSymbolic ? batch : d.Size!.Value).ToString(System.Globalization.CultureInfo.InvariantCulture)))));

    /// <summary>
    /// Appends one provider to <paramref name="sessionOptions"/>. Provider option objects are added
    /// to <paramref name="owned"/> so they live as long as the session. Native failures are
    /// translated into <see cref="ExecutionProviderUnavailableException"/>.
    /// </summary>
    internal static void Append(SessionOptions sessionOptions, ExecutionProvider provider, RuntimeOptions options,
        IReadOnlyList<string> available, List<IDisposable> owned, GraphSpec? graph = null)
    {
        var device = options.CudaDeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        switch (provider)
        {
            case ExecutionProvider.Cpu:
                return; // ONNX Runtime always ends with the CPU provider; nothing to append.
            case ExecutionProvider.TensorRt:
                NativeErrors.Guard(provider, available, () =>
                {
                    var trt = new OrtTensorRTProviderOptions();
                    owned.Add(trt);
                    var settings = new Dictionary<string, string>
                    {
                        ["device_id"] = device,
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

                    if (options.TensorRtMaxBatch is { } maxBatch && graph is not null)
                    {
                        settings["trt_profile_min_shapes"] = TensorRtProfile(graph, 1);
                        settings["trt_profile_opt_shapes"] = TensorRtProfile(graph, maxBatch);
                        settings["trt_profile_max_shapes"] = TensorRtProfile(graph, maxBatch);
                    }

                    trt.UpdateOptions(settings);
                    sessionOptions.AppendExecutionProvider_Tensorrt(trt);
                });

                // Nodes TensorRT cannot take run on CUDA rather than on the CPU, when CUDA is there.
                if (available.Contains(CudaName))
                {
                    Append(sessionOptions, ExecutionProvider.Cuda, options, available, owned);
                }

                return;
            case ExecutionProvider.Cuda:
                NativeErrors.Guard(provider, available, () =>
                {
                    var cuda = new OrtCUDAProviderOptions();
                    owned.Add(cuda);
                    var settings = new Dictionary<string, string> { ["device_id"] = device };
                    if (options.GpuMemoryLimitBytes is { } limit)
                    {
                        settings["gpu_mem_limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }

                    cuda.UpdateOptions(settings);
                    sessionOptions.AppendExecutionProvider_CUDA(cuda);
                });
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "Auto is resolved before appending.");
        }
    }
}
