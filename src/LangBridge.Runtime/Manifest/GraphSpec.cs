namespace LangBridge.Runtime;

/// <summary>One ONNX graph of a bundle and the tensors it takes and returns.</summary>
public sealed record GraphSpec
{
    /// <summary>The <c>.onnx</c> file, relative to the bundle folder.</summary>
    public required string File { get; init; }

    /// <summary>Graph inputs in order.</summary>
    public required IReadOnlyList<TensorSpec> Inputs { get; init; }

    /// <summary>Graph outputs in order.</summary>
    public required IReadOnlyList<TensorSpec> Outputs { get; init; }

    /// <summary>
    /// ONNX external-data files of the graph (weights stored beside the <c>.onnx</c> file), relative
    /// to the bundle folder and in the graph file's folder; <c>null</c> or empty when the weights are
    /// inside the graph file. Every one is listed in <see cref="BundleManifest.Files"/>.
    /// </summary>
    public IReadOnlyList<string>? ExternalData { get; init; }

    /// <summary>The input with the given meaning, or <c>null</c>.</summary>
    public TensorSpec? FindInput(string meaning) => Inputs.FirstOrDefault(t => t.Meaning == meaning);

    /// <summary>The output with the given meaning, or <c>null</c>.</summary>
    public TensorSpec? FindOutput(string meaning) => Outputs.FirstOrDefault(t => t.Meaning == meaning);
}
