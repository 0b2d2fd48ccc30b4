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
}
