namespace LangBridge.Runtime;

/// <summary>A named graph input or output: element type, shape and what it holds.</summary>
public sealed record TensorSpec
{
    /// <summary>The ONNX value name.</summary>
    public required string Name { get; init; }

    /// <summary>Element type, one of <see cref="TensorDtype.All"/>.</summary>
    public required string Dtype { get; init; }

    /// <summary>Shape: positive fixed sizes and named symbolic dimensions (<c>batch</c>, <c>sequence</c>, …).</summary>
    public required IReadOnlyList<TensorDimension> Shape { get; init; }

    /// <summary>
    /// What the tensor holds (a lower-case identifier, see <see cref="TensorMeaning"/>); <c>null</c>
    /// when the bundle does not say. Wrappers find their tensors by it.
    /// </summary>
    public string? Meaning { get; init; }

    /// <summary>Shape as text, e.g. <c>[batch, 49, 100]</c>.</summary>
    public string DescribeShape() => "[" + string.Join(", ", Shape) + "]";
}
