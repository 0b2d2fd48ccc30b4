using LangBridge.Onnx.Graph;

namespace LangBridge.Onnx.Export;

/// <summary>
/// Implemented by our own composite modules: emits the module's ONNX nodes from its weights.
/// Children are exported through <see cref="OnnxExportContext.Export(TorchSharp.torch.nn.Module, string, OnnxValue)"/>
/// so that their path in the model is tracked and unknown modules fail loudly.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Adds the nodes computing this module's forward on <paramref name="inputs"/> and returns its outputs.</summary>
    IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext context, IReadOnlyList<OnnxValue> inputs);
}
