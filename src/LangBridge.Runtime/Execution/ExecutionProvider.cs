namespace LangBridge.Runtime;

/// <summary>Which ONNX Runtime execution provider runs the bundle's graphs.</summary>
public enum ExecutionProvider
{
    /// <summary>
    /// Try TensorRT, then CUDA, then CPU, using what the loaded native library reports; every step
    /// and the final choice are reported through <see cref="RuntimeOptions.Log"/>.
    /// </summary>
    Auto = 0,

    /// <summary>The CPU provider (always present).</summary>
    Cpu,

    /// <summary>NVIDIA CUDA; needs the <c>Microsoft.ML.OnnxRuntime.Gpu</c> native package, CUDA and cuDNN.</summary>
    Cuda,

    /// <summary>
    /// NVIDIA TensorRT (with CUDA behind it for nodes TensorRT does not take); needs the
    /// <c>Microsoft.ML.OnnxRuntime.Gpu</c> native package and TensorRT.
    /// </summary>
    TensorRt,
}
