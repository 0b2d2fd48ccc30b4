namespace LangBridge.Onnx.Graph;

/// <summary>
/// A named value in a graph under construction (graph input, initializer or node output) with its
/// element type and the shape the builder tracked for it.
/// </summary>
public sealed record OnnxValue(string Name, OnnxElementType ElementType, IReadOnlyList<OnnxDim> Shape)
{
    public int Rank => Shape.Count;

    /// <summary>Static size of dimension <paramref name="axis"/> (negative axes count from the end).</summary>
    public long Dim(int axis) => Shape[axis < 0 ? axis + Rank : axis].Size;

    public override string ToString() => $"{Name}: {ElementType.ToShortName()}{OnnxShape.Format(Shape)}";
}
