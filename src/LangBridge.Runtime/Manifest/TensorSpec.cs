namespace LangBridge.Runtime;

/// <summary>A named graph input or output: element type and shape.</summary>
public sealed record TensorSpec
{
    /// <summary>The ONNX value name.</summary>
    public required string Name { get; init; }

    /// <summary>Element type: <c>float32</c>, <c>float16</c>, <c>int64</c>, <c>int32</c>, <c>uint8</c> or <c>bool</c>.</summary>
    public required string Dtype { get; init; }

    /// <summary>Shape; <c>"batch"</c> is the only symbolic dimension, all others are fixed sizes.</summary>
    public required IReadOnlyList<TensorDimension> Shape { get; init; }

    /// <summary>Shape as text, e.g. <c>[batch, 49, 100]</c>.</summary>
    public string DescribeShape() => "[" + string.Join(", ", Shape) + "]";
}
