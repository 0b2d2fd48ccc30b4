using LangBridge.Runtime.Tests.Fixtures;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime.Tests;

/// <summary>
/// The tests run against the CPU native package (Microsoft.ML.OnnxRuntime), which is exactly the
/// situation of an application that asks for a GPU provider without the GPU package.
/// </summary>
public sealed class ExecutionProviderTests
{
    [Fact]
    public void The_cpu_native_package_reports_only_the_cpu_provider()
    {
        var available = ExecutionProviders.Available();

        Assert.Contains(ExecutionProviders.CpuName, available);
        Assert.DoesNotContain(ExecutionProviders.CudaName, available);
        Assert.DoesNotContain(ExecutionProviders.TensorRtName, available);
    }

    [Theory]
    [InlineData(ExecutionProvider.Cuda, "CUDAExecutionProvider")]
    [InlineData(ExecutionProvider.TensorRt, "TensorrtExecutionProvider")]
    public void Asking_for_a_gpu_provider_that_is_absent_lists_the_available_ones_and_names_the_gpu_package(ExecutionProvider provider, string name)
    {
        using var fixture = TestBundle.Create();

        var e = Assert.Throws<ExecutionProviderUnavailableException>(
            () => ImageTokenizer.Open(fixture.Directory, new RuntimeOptions { Provider = provider }));

        Assert.Equal(provider, e.Requested);
        Assert.Equal("Microsoft.ML.OnnxRuntime.Gpu", e.PackageHint);
        Assert.Contains(ExecutionProviders.CpuName, e.Available);
        Assert.Contains(name, e.Message);
        Assert.Contains("available providers: CPUExecutionProvider", e.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", e.Message);
    }

    [Fact]
    public void Auto_falls_back_to_cpu_and_says_why()
    {
        using var fixture = TestBundle.Create();
        var log = new List<string>();

        using var tokenizer = ImageTokenizer.Open(fixture.Directory, new RuntimeOptions { Log = log.Add });

        Assert.Equal(ExecutionProvider.Cpu, tokenizer.ExecutionProvider.Provider);
        Assert.Contains("Auto chose Cpu", tokenizer.ExecutionProvider.Reason);
        Assert.Contains("no GPU provider (available: CPUExecutionProvider", tokenizer.ExecutionProvider.Reason);
        Assert.Contains(log, l => l.Contains("TensorrtExecutionProvider is not in the loaded ONNX Runtime") && l.Contains("Microsoft.ML.OnnxRuntime.Gpu"));
        Assert.Contains(log, l => l.Contains("CUDAExecutionProvider is not in the loaded ONNX Runtime"));
        Assert.Contains(log, l => l.StartsWith("encoder (encoder.onnx) runs on Cpu"));
        Assert.Equal(3, log.Count(l => l.Contains(" runs on Cpu")));
    }

    [Fact]
    public void Cpu_requested_explicitly_says_so()
    {
        using var fixture = TestBundle.Create();

        using var tokenizer = ImageTokenizer.Open(fixture.Directory, new RuntimeOptions { Provider = ExecutionProvider.Cpu });

        Assert.Equal(new ProviderChoice(ExecutionProvider.Cpu, "Cpu requested"), tokenizer.ExecutionProvider);
    }

    // The next tests pretend the native library listed the GPU providers, so the real append calls
    // run and fail the way they do in a CPU-only build: EntryPointNotFoundException for CUDA,
    // OnnxRuntimeException ("not enabled in this build") for TensorRT's options. Both must arrive
    // as ExecutionProviderUnavailableException, and Auto must step past them to the CPU.
    private static readonly string[] PretendGpu = [ExecutionProviders.TensorRtName, ExecutionProviders.CudaName, ExecutionProviders.CpuName];

    [Fact]
    public void A_listed_cuda_provider_that_fails_to_start_is_translated()
    {
        using var fixture = TestBundle.Create();
        var bundle = ModelBundle.Load(fixture.Directory);

        var e = Assert.Throws<ExecutionProviderUnavailableException>(() => BundleGraph.Create(
            bundle, "encoder", new RuntimeOptions { Provider = ExecutionProvider.Cuda }, PretendGpu, [ExecutionProvider.Cuda]));

        Assert.True(e.InnerException is EntryPointNotFoundException or OnnxRuntimeException, e.InnerException?.GetType().Name);
        Assert.Contains("failed to start", e.Message);
        Assert.Equal(ProviderProblem.NotInNativeLibrary, e.Problem); // the CPU build has no CUDA entry points
    }

    [Fact]
    public void A_listed_tensorrt_provider_that_fails_to_start_is_translated()
    {
        using var fixture = TestBundle.Create();
        var bundle = ModelBundle.Load(fixture.Directory);

        var e = Assert.Throws<ExecutionProviderUnavailableException>(() => BundleGraph.Create(
            bundle, "encoder", new RuntimeOptions { Provider = ExecutionProvider.TensorRt }, PretendGpu, [ExecutionProvider.TensorRt]));

        Assert.IsType<OnnxRuntimeException>(e.InnerException);
        Assert.Contains("TensorRT", e.Message);
    }

    [Fact]
    public void Auto_steps_past_gpu_providers_that_fail_and_reports_each()
    {
        using var fixture = TestBundle.Create();
        var bundle = ModelBundle.Load(fixture.Directory);
        var log = new List<string>();
        var options = new RuntimeOptions { Log = log.Add };

        var candidates = ExecutionProviders.Candidates(ExecutionProvider.Auto, PretendGpu, log.Add);
        using var session = BundleGraph.Create(bundle, "encoder", options, PretendGpu, candidates);

        Assert.Equal([ExecutionProvider.TensorRt, ExecutionProvider.Cuda, ExecutionProvider.Cpu], candidates);
        Assert.Equal(ExecutionProvider.Cpu, session.Provider.Provider);
        Assert.StartsWith("Auto fell back to Cpu", session.Provider.Reason);
        Assert.Contains("TensorRt failed", session.Provider.Reason);
        Assert.Contains("Cuda failed", session.Provider.Reason);
        Assert.Contains(log, l => l.StartsWith("Auto: TensorRt failed") && l.EndsWith("trying Cuda."));
    }

    [Fact]
    public void Graphs_opened_after_a_fallback_say_where_the_first_one_landed_and_why()
    {
        using var fixture = TestBundle.Create();
        var log = new List<string>();

        var graphs = BundleGraph.OpenAll(ModelBundle.Load(fixture.Directory), ["encoder", "quantizer"], new RuntimeOptions { Log = log.Add }, PretendGpu);
        try
        {
            Assert.StartsWith("Auto fell back to Cpu", graphs[0].Provider.Reason);
            Assert.StartsWith("Auto stays on Cpu, where graph \"encoder\" landed (Auto fell back to Cpu", graphs[1].Provider.Reason);
            Assert.Equal(2, log.Count(l => l.StartsWith("Auto: ", StringComparison.Ordinal))); // the GPUs are tried once, for the first graph
        }
        finally
        {
            foreach (var graph in graphs)
            {
                graph.Dispose();
            }
        }
    }

    [Fact]
    public void TensorRt_profiles_cover_batch_one_to_the_maximum_for_every_input()
    {
        var manifest = TestBundle.Manifest();

        Assert.Equal("image:1x1x4x4", ExecutionProviders.TensorRtProfile(manifest.Graphs["encoder"], 1));
        Assert.Equal("token_ids:64x4", ExecutionProviders.TensorRtProfile(manifest.Graphs["decoder"], 64));
    }

    [Fact]
    public void TensorRt_options_carry_fp16_the_engine_cache_folder_and_the_device()
    {
        var graph = TestBundle.Manifest().Graphs["encoder"];
        var options = new RuntimeOptions
        {
            Provider = ExecutionProvider.TensorRt, TensorRtFp16 = true, TensorRtEngineCacheFolder = "/var/cache/trt", CudaDeviceId = 1,
            TensorRtWorkspaceBytes = 1 << 30, TensorRtMaxBatch = 8,
        };

        var settings = ExecutionProviders.TensorRtProviderOptions(options, graph);

        Assert.Equal("1", settings["trt_fp16_enable"]);
        Assert.Equal("1", settings["trt_engine_cache_enable"]);
        Assert.Equal("/var/cache/trt", settings["trt_engine_cache_path"]);
        Assert.Equal("1", settings["device_id"]);
        Assert.Equal("1073741824", settings["trt_max_workspace_size"]);
        Assert.Equal("image:1x1x4x4", settings["trt_profile_min_shapes"]);
        Assert.Equal("image:8x1x4x4", settings["trt_profile_max_shapes"]);
    }

    [Fact]
    public void TensorRt_defaults_leave_fp16_off_and_no_engine_cache()
    {
        var settings = ExecutionProviders.TensorRtProviderOptions(RuntimeOptions.Default);

        Assert.Equal("0", settings["trt_fp16_enable"]);
        Assert.False(settings.ContainsKey("trt_engine_cache_enable"));
        Assert.False(settings.ContainsKey("trt_profile_min_shapes"));
    }

    [Fact]
    public void No_TensorRt_profile_is_made_for_a_graph_with_a_sequence_dimension()
    {
        // Only batch's range is known (1 … TensorRtMaxBatch); a sequence's is not, so TensorRT picks shapes as it meets them.
        var graph = TextBundle.Manifest().Graphs[TextBundle.Role];

        var settings = ExecutionProviders.TensorRtProviderOptions(new RuntimeOptions { TensorRtMaxBatch = 4 }, graph);

        Assert.False(settings.ContainsKey("trt_profile_min_shapes"));
    }

    [Fact]
    public void Cuda_options_carry_the_device_and_memory_limit()
    {
        var settings = ExecutionProviders.CudaProviderOptions(new RuntimeOptions { CudaDeviceId = 2, GpuMemoryLimitBytes = 1_000_000 });

        Assert.Equal("2", settings["device_id"]);
        Assert.Equal("1000000", settings["gpu_mem_limit"]);
    }

    [Fact]
    public void Invalid_options_are_refused_before_anything_loads()
    {
        using var fixture = TestBundle.Create();

        Assert.Throws<ArgumentOutOfRangeException>(() => ImageTokenizer.Open(fixture.Directory, new RuntimeOptions { CudaDeviceId = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageTokenizer.Open(fixture.Directory, new RuntimeOptions { IntraOpThreads = -2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageTokenizer.Open(fixture.Directory, new RuntimeOptions { GpuMemoryLimitBytes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageTokenizer.Open(fixture.Directory, new RuntimeOptions { TensorRtMaxBatch = 0 }));
    }

    [Fact]
    public void Options_are_immutable_records()
    {
        var a = new RuntimeOptions { Provider = ExecutionProvider.Cuda, CudaDeviceId = 1 };
        var b = a with { CudaDeviceId = 2 };

        Assert.Equal(1, a.CudaDeviceId);
        Assert.Equal(2, b.CudaDeviceId);
        Assert.Equal(ExecutionProvider.Auto, RuntimeOptions.Default.Provider);
    }
}
