using static LangBridge.Onnx.Graph.OnnxAttribute;

namespace LangBridge.Onnx.Graph;

/// <summary>
/// Ops for graphs with more than one symbolic dimension (e.g. <c>batch</c> and <c>sequence</c>):
/// shapes read at run time with Shape and fed to Slice, plus Unsqueeze, Cast, pooling. Additions
/// beside <see cref="OnnxOps"/>; opset 13 or later (Unsqueeze's axes and Slice's bounds are inputs).
/// </summary>
public static class OnnxDynamicOps
{
    private static void RequireOpset(OnnxGraphBuilder b, int min, string op)
    {
        if (b.Opset < min) throw new InvalidOperationException($"{op} as written here needs opset {min} or later; the graph uses opset {b.Opset}.");
    }

    /// <summary>Shape(x)[start:end] as an int64 vector (opset 15+: the start/end attributes).</summary>
    public static OnnxValue ShapeOf(this OnnxGraphBuilder b, OnnxValue x, int start, int end)
    {
        RequireOpset(b, 15, "Shape with start/end");
        int s = start < 0 ? start + x.Rank : start, e = end < 0 ? end + x.Rank : end;
        if (s < 0 || e > x.Rank || s >= e) throw new ArgumentException($"Shape of {x}: [{start}, {end}) is not a non-empty range of its dims.");
        return b.AddNode("Shape", [x], OnnxElementType.Int64, [e - s], Int("start", s), Int("end", e));
    }

    /// <summary>
    /// Rows [0, n) of <paramref name="x"/> along <paramref name="axis"/>, where <paramref name="n"/>
    /// is a 1-element int64 vector computed in the graph (e.g. <see cref="ShapeOf"/>); the result's
    /// dim there is the symbolic <paramref name="resultDim"/>.
    /// </summary>
    public static OnnxValue SlicePrefix(this OnnxGraphBuilder b, OnnxValue x, int axis, OnnxValue n, OnnxDim resultDim)
    {
        RequireOpset(b, 13, "Slice");
        if (n.ElementType != OnnxElementType.Int64 || n.Rank != 1 || !n.Shape[0].IsStatic || n.Dim(0) != 1)
            throw new ArgumentException($"SlicePrefix: the end must be an int64 vector of one element, got {n}.");
        axis = axis < 0 ? axis + x.Rank : axis;
        var shape = x.Shape.ToArray();
        shape[axis] = resultDim;
        return b.AddNode("Slice", [x, b.AddInt64Vector("starts", 0), n, b.AddInt64Vector("axes", axis)], x.ElementType, shape);
    }

    /// <summary>Unsqueeze at <paramref name="axes"/> (positions in the output), axes as an input (opset 13+).</summary>
    public static OnnxValue Unsqueeze(this OnnxGraphBuilder b, OnnxValue x, params long[] axes)
    {
        RequireOpset(b, 13, "Unsqueeze");
        int rank = x.Rank + axes.Length;
        var set = axes.Select(a => (int)(a < 0 ? a + rank : a)).ToHashSet();
        if (set.Count != axes.Length || set.Any(a => a < 0 || a >= rank)) throw new ArgumentException($"Unsqueeze of {x}: bad axes [{string.Join(",", axes)}].");
        var shape = new OnnxDim[rank];
        int j = 0;
        for (int i = 0; i < rank; i++) shape[i] = set.Contains(i) ? 1 : x.Shape[j++];
        return b.AddNode("Unsqueeze", [x, b.AddInt64Vector("axes", axes)], x.ElementType, shape);
    }

    /// <summary>Cast to <paramref name="to"/>, same shape.</summary>
    public static OnnxValue Cast(this OnnxGraphBuilder b, OnnxValue x, OnnxElementType to) =>
        b.AddNode("Cast", [x], to, x.Shape, Int("to", (int)to));

    /// <summary>MaxPool (N-D) with explicit pads [begin..., end...]; output size by the floor rule.</summary>
    public static OnnxValue MaxPool(this OnnxGraphBuilder b, OnnxValue x, long[] kernel, long[] strides, long[] pads)
    {
        int sp = x.Rank - 2;
        var shape = x.Shape.ToArray();
        for (int i = 0; i < sp; i++)
            shape[2 + i] = (x.Dim(2 + i) + pads[i] + pads[sp + i] - kernel[i]) / strides[i] + 1;
        return b.AddNode("MaxPool", [x], x.ElementType, shape, Ints("kernel_shape", kernel), Ints("pads", pads), Ints("strides", strides));
    }

    /// <summary>GlobalAveragePool: (N, C, d...) → (N, C, 1...).</summary>
    public static OnnxValue GlobalAveragePool(this OnnxGraphBuilder b, OnnxValue x)
    {
        var shape = x.Shape.Select((d, i) => i < 2 ? d : OnnxDim.Of(1)).ToArray();
        return b.AddNode("GlobalAveragePool", [x], x.ElementType, shape);
    }

    /// <summary>Concat along <paramref name="axis"/> where that axis may be symbolic; the result's dim there is <paramref name="resultDim"/> (every other dim must agree).</summary>
    public static OnnxValue ConcatSymbolic(this OnnxGraphBuilder b, int axis, OnnxDim resultDim, params OnnxValue[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("Concat needs at least one input.");
        var first = parts[0];
        axis = axis < 0 ? axis + first.Rank : axis;
        foreach (var p in parts)
            if (p.Rank != first.Rank || p.ElementType != first.ElementType ||
                Enumerable.Range(0, first.Rank).Any(i => i != axis && p.Shape[i] != first.Shape[i]))
                throw new InvalidOperationException($"Concat on axis {axis}: {p} does not fit {first}.");
        var shape = first.Shape.ToArray();
        shape[axis] = resultDim;
        return b.AddNode("Concat", parts, first.ElementType, shape, Int("axis", axis));
    }

    /// <summary>A one-element int64 vector as a scalar (rank 0), as Range wants its bounds.</summary>
    public static OnnxValue ToScalar(this OnnxGraphBuilder b, OnnxValue vector)
    {
        if (vector.Rank != 1 || !vector.Shape[0].IsStatic || vector.Dim(0) != 1) throw new ArgumentException($"ToScalar needs a one-element vector, got {vector}.");
        return b.AddNode("Reshape", [vector, b.AddInitializer("scalar_shape", ReadOnlySpan<long>.Empty, 0)], vector.ElementType, []);
    }

    /// <summary>Range(start, limit, 1) of int64 scalars (opset 11+): a vector of symbolic length <paramref name="length"/>.</summary>
    public static OnnxValue Range(this OnnxGraphBuilder b, OnnxValue start, OnnxValue limit, OnnxDim length)
    {
        RequireOpset(b, 11, "Range");
        if (start.Rank != 0 || limit.Rank != 0) throw new ArgumentException($"Range takes scalars, got {start} and {limit}.");
        return b.AddNode("Range", [start, limit, b.AddInitializer("one", [1L])], OnnxElementType.Int64, [length]);
    }

    /// <summary>Element-wise x &gt; y with broadcasting: a bool tensor.</summary>
    public static OnnxValue Greater(this OnnxGraphBuilder b, OnnxValue x, OnnxValue y) =>
        b.AddNode("Greater", [x, y], OnnxElementType.Bool, OnnxShape.Broadcast(x.Shape, y.Shape));
}
