using LangBridge.Runtime.Tests.Fixtures;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime.Tests;

/// <summary>ONNX Runtime's own load errors, produced for real, must arrive as typed exceptions.</summary>
public sealed class NativeErrorTests
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
}
