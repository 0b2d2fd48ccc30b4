using LangBridge.Runtime.Tests.Fixtures;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime.Tests;

/// <summary>ONNX Runtime's own load errors, produced for real, must arrive as typed exceptions.</summary>
public sealed class OnnxRuntimeErrorTests
{
    private static OnnxRuntimeException LoadError(long opset, long irVersion)
    {
        var model = new OnnxModelWriter();
        model.Input("x", false, 1);
        model.Node("Relu", ["x"], ["y"]);
        model.Output("y", false, 1);
        return Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(model.ToBytes(opset, irVersion)).Dispose());
    }

    [Fact]
    public void An_opset_the_native_library_refuses_becomes_UnsupportedOpsetException()
    {
        var error = OnnxRuntimeErrors.SessionFailed("encoder.onnx", LoadError(RuntimeSupport.MaxOpset + 1, 8));

        var e = Assert.IsType<UnsupportedOpsetException>(error);
        Assert.Equal(RuntimeSupport.MaxOpset + 1, e.Requested);
        Assert.Equal(RuntimeSupport.MaxOpset, e.Supported); // the measured limit is the library's own
        Assert.Equal("encoder.onnx", e.File);
    }

    [Fact]
    public void An_ir_version_the_native_library_refuses_becomes_UnsupportedOpsetException()
    {
        var error = OnnxRuntimeErrors.SessionFailed("decoder.onnx", LoadError(17, RuntimeSupport.MaxIrVersion + 1));

        var e = Assert.IsType<UnsupportedOpsetException>(error);
        Assert.Equal("IR version", e.What);
        Assert.Equal(RuntimeSupport.MaxIrVersion, e.Supported);
    }

    [Fact]
    public void The_measured_limits_are_accepted_by_the_native_library()
    {
        var model = new OnnxModelWriter();
        model.Input("x", false, 1);
        model.Node("Relu", ["x"], ["y"]);
        model.Output("y", false, 1);

        using var session = new InferenceSession(model.ToBytes(RuntimeSupport.MaxOpset, RuntimeSupport.MaxIrVersion));

        Assert.Single(session.OutputNames);
    }

    [Fact]
    public void Other_load_errors_become_InferenceException_naming_the_file()
    {
        var model = new OnnxModelWriter();
        model.Input("x", false, 1);
        model.Node("NoSuchOperator", ["x"], ["y"]);
        model.Output("y", false, 1);
        var native = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(model.ToBytes()).Dispose());

        var e = Assert.IsType<InferenceException>(OnnxRuntimeErrors.SessionFailed("quantizer.onnx", native));

        Assert.Equal("quantizer.onnx", e.File);
        Assert.Same(native, e.InnerException);
    }

    [Fact]
    public void A_graph_swapped_after_loading_is_never_run()
    {
        using var fixture = TestBundle.Create();
        var bundle = ModelBundle.Load(fixture.Directory);
        var path = fixture.PathOf("quantizer.onnx");
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<BundleIntegrityException>(() => ImageTokenizer.Create(bundle));

        Assert.Equal("quantizer.onnx", e.Path);
    }

    // Recorded from Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0 on a machine without CUDA
    // (tests/LangBridge.Samples.Tests runs that package for real).
    private const string NoCudaLibraries =
        "[ErrorCode:Fail] /onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:2043 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() " +
        "[ONNXRuntimeError] : 1 : FAIL : Failed to load library /app/runtimes/linux-x64/native/libonnxruntime_providers_cuda.so with error: " +
        "libcublasLt.so.13: cannot open shared object file: No such file or directory";

    private static readonly string[] GpuListed = [ExecutionProviders.TensorRtName, ExecutionProviders.CudaName, ExecutionProviders.CpuName];

    [Fact]
    public void A_listed_provider_whose_cuda_libraries_are_missing_names_the_library_and_what_to_install()
    {
        var e = OnnxRuntimeErrors.ProviderUnavailable(ExecutionProvider.Cuda, GpuListed, new InvalidOperationException(NoCudaLibraries));

        Assert.Equal(ProviderProblem.LibrariesMissing, e.Problem);
        Assert.Equal("libcublasLt.so.13", e.MissingLibrary);
        Assert.Contains("libcublasLt.so.13 cannot be found", e.Message);
        Assert.Contains("CUDA 13", e.Message);
        Assert.Contains("cuDNN 9", e.Message);
        Assert.Contains("LD_LIBRARY_PATH", e.Message);
        Assert.DoesNotContain("TensorRT 10", e.Message);
    }

    [Fact]
    public void TensorRt_with_missing_libraries_also_names_TensorRT()
    {
        var e = OnnxRuntimeErrors.ProviderUnavailable(ExecutionProvider.TensorRt, GpuListed,
            new InvalidOperationException(NoCudaLibraries.Replace("libcublasLt.so.13", "libnvinfer.so.10")));

        Assert.Equal("libnvinfer.so.10", e.MissingLibrary);
        Assert.Contains("TensorRT 10", e.Message);
    }

    [Fact]
    public void A_listed_provider_without_a_device_says_so()
    {
        var e = OnnxRuntimeErrors.ProviderUnavailable(ExecutionProvider.Cuda, GpuListed,
            new InvalidOperationException("[ErrorCode:Fail] CUDA failure 100: no CUDA-capable device is detected ; GPU=0 ; hostname=x"));

        Assert.Equal(ProviderProblem.NoDevice, e.Problem);
        Assert.Contains("no CUDA device is visible", e.Message);
        Assert.Null(e.MissingLibrary);
    }

    [Fact]
    public void A_provider_the_native_library_does_not_list_points_to_the_gpu_package()
    {
        var e = OnnxRuntimeErrors.ProviderUnavailable(ExecutionProvider.TensorRt, [ExecutionProviders.CpuName], cause: null);

        Assert.Equal(ProviderProblem.NotInNativeLibrary, e.Problem);
        Assert.Contains(ExecutionProviders.GpuPackage, e.Message);
    }

    [Fact]
    public void Run_failures_carry_the_stage_and_onnx_runtime_error_code()
    {
        var e = Assert.IsType<InferenceException>(OnnxRuntimeErrors.RunFailed("decoder.onnx",
            new InvalidOperationException("[ErrorCode:InvalidArgument] Got invalid dimensions for input: token_ids")));

        Assert.Equal(InferenceStage.Run, e.Stage);
        Assert.Equal("InvalidArgument", e.OrtErrorCode);
        Assert.Contains("decoder.onnx", e.Message);
    }
}
