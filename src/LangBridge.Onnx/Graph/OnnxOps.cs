using static LangBridge.Onnx.Graph.OnnxAttribute;

namespace LangBridge.Onnx.Graph;

/// <summary>
/// Typed helpers that add one standard ONNX op each and compute the output's type and shape.
/// Opset differences (e.g. Reduce* taking axes as an input from opset 18) are handled here, so
/// callers write the same code for every supported opset.
/// </summary>
public static class OnnxOps
{
    private static OnnxValue Unary(OnnxGraphBuilder b, string op, OnnxValue x, params OnnxAttribute[] attrs) =>
        b.AddNode(op, [x], x.ElementType, x.Shape, attrs);

    private static OnnxValue Binary(OnnxGraphBuilder b, string op, OnnxValue x, OnnxValue y) =>
        b.AddNode(op, [x, y], x.ElementType, OnnxShape.Broadcast(x.Shape, y.Shape));

    private static int NormAxis(int axis, int rank) =>
        axis < 0 ? axis + rank : axis;

    public static OnnxValue Identity(this OnnxGraphBuilder b, OnnxValue x) => Unary(b, "Identity", x);
    public static OnnxValue Relu(this OnnxGraphBuilder b, OnnxValue x) => Unary(b, "Relu", x);
    public static OnnxValue Sigmoid(this OnnxGraphBuilder b, OnnxValue x) => Unary(b, "Sigmoid", x);
    public static OnnxValue Tanh(this OnnxGraphBuilder b, OnnxValue x) => Unary(b, "Tanh", x);
    public static OnnxValue Erf(this OnnxGraphBuilder b, OnnxValue x) => Unary(b, "Erf", x);
    public static OnnxValue Sqrt(this OnnxGraphBuilder b, OnnxValue x) => Unary(b, "Sqrt", x);
    public static OnnxValue LeakyRelu(this OnnxGraphBuilder b, OnnxValue x, float alpha) => Unary(b, "LeakyRelu", x, Float("alpha", alpha));
    public static OnnxValue Softmax(this OnnxGraphBuilder b, OnnxValue x, int axis = -1) => Unary(b, "Softmax", x, Int("axis", axis));

    /// <summary>The Gelu op (opset 20+); <paramref name="approximate"/> is "none" or "tanh".</summary>
    public static OnnxValue Gelu(this OnnxGraphBuilder b, OnnxValue x, string approximate = "none")
    {
        if (b.Opset < 20) throw new InvalidOperationException($"Gelu is an opset-20 op; the graph uses opset {b.Opset}.");
        return Unary(b, "Gelu", x, String("approximate", approximate));
    }

    public static OnnxValue Add(this OnnxGraphBuilder b, OnnxValue x, OnnxValue y) => Binary(b, "Add", x, y);
    public static OnnxValue Sub(this OnnxGraphBuilder b, OnnxValue x, OnnxValue y) => Binary(b, "Sub", x, y);
    public static OnnxValue Mul(this OnnxGraphBuilder b, OnnxValue x, OnnxValue y) => Binary(b, "Mul", x, y);
    public static OnnxValue Div(this OnnxGraphBuilder b, OnnxValue x, OnnxValue y) => Binary(b, "Div", x, y);
    public static OnnxValue Max(this OnnxGraphBuilder b, OnnxValue x, OnnxValue y) => Binary(b, "Max", x, y);

    /// <summary>Numpy matmul: (..., n, k) × (..., k, m) → (..., n, m) with broadcast leading dims.</summary>
    public static OnnxValue MatMul(this OnnxGraphBuilder b, OnnxValue x, OnnxValue y)
    {
        if (x.Rank < 2 || y.Rank < 2) throw new InvalidOperationException($"MatMul needs rank ≥ 2 operands, got {x} and {y}.");
        if (x.Shape[^1] != y.Shape[^2]) throw new InvalidOperationException($"MatMul inner dimensions differ: {x} × {y}.");
        var lead = OnnxShape.Broadcast(x.Shape.Take(x.Rank - 2).ToArray(), y.Shape.Take(y.Rank - 2).ToArray());
        OnnxDim[] shape = [.. lead, x.Shape[^2], y.Shape[^1]];
        return b.AddNode("MatMul", [x, y], x.ElementType, shape);
    }

    public static OnnxValue Transpose(this OnnxGraphBuilder b, OnnxValue x, params long[] perm)
    {
        if (perm.Length != x.Rank) throw new ArgumentException($"Transpose perm of length {perm.Length} for {x}.");
        var shape = perm.Select(p => x.Shape[(int)p]).ToArray();
        return b.AddNode("Transpose", [x], x.ElementType, shape, Ints("perm", perm));
    }

    /// <summary>
    /// Reshape with ONNX semantics: 0 copies the input dimension at that position, -1 is inferred.
    /// The target becomes an int64 initializer.
    /// </summary>
    public static OnnxValue Reshape(this OnnxGraphBuilder b, OnnxValue x, params long[] target)
    {
        var shape = new OnnxDim[target.Length];
        int inferred = -1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == 0) shape[i] = x.Shape[i];
            else if (target[i] == -1)
            {
                if (inferred >= 0) throw new ArgumentException("Reshape: at most one -1.");
                inferred = i;
            }
            else shape[i] = target[i];
        }
        if (inferred >= 0)
        {
            // Whatever symbolic dims the input has must be copied (0) so the rest is static.
            long inStatic = 1; long outStatic = 1;
            var inSymbolic = x.Shape.Where(d => !d.IsStatic).ToList();
            var copiedSymbolic = shape.Where((d, i) => i != inferred && !d.IsStatic).ToList();
            if (!inSymbolic.SequenceEqual(copiedSymbolic))
                throw new InvalidOperationException($"Reshape of {x} to [{string.Join(",", target)}]: symbolic dims must be copied with 0.");
            foreach (var d in x.Shape) if (d.IsStatic) inStatic *= d.Size;
            for (int i = 0; i < shape.Length; i++) if (i != inferred && shape[i].IsStatic) outStatic *= shape[i].Size;
            if (inStatic % outStatic != 0) throw new InvalidOperationException($"Reshape of {x} to [{string.Join(",", target)}] does not divide.");
            shape[inferred] = inStatic / outStatic;
        }
        var t = b.AddInt64Vector("shape", target);
        return b.AddNode("Reshape", [x, t], x.ElementType, shape);
    }

    /// <summary>ONNX Flatten: (d0..d_{axis-1}) × (d_axis..) → 2-D.</summary>
    public static OnnxValue Flatten(this OnnxGraphBuilder b, OnnxValue x, int axis = 1)
    {
        axis = NormAxis(axis, x.Rank);
        OnnxDim Prod(IEnumerable<OnnxDim> dims)
        {
            var list = dims.ToList();
            if (list.Count == 1) return list[0];
            return list.All(d => d.IsStatic) ? list.Aggregate(1L, (p, d) => p * d.Size) : throw new InvalidOperationException($"Flatten of {x}: a symbolic dim would be merged.");
        }
        OnnxDim[] shape = [axis == 0 ? 1 : Prod(x.Shape.Take(axis)), axis == x.Rank ? 1 : Prod(x.Shape.Skip(axis))];
        return b.AddNode("Flatten", [x], x.ElementType, shape, Int("axis", axis));
    }

    /// <summary>2-D (or N-D) convolution; weight (O, I/g, k...), optional bias (O).</summary>
    public static OnnxValue Conv(this OnnxGraphBuilder b, OnnxValue x, OnnxValue w, OnnxValue? bias,
        long[] strides, long[] pads, long[] dilations, long group)
    {
        int sp = x.Rank - 2;
        var k = w.Shape.Skip(2).Select(d => d.Size).ToArray();
        var shape = new OnnxDim[x.Rank];
        shape[0] = x.Shape[0];
        shape[1] = w.Shape[0];
        for (int i = 0; i < sp; i++)
            shape[2 + i] = (x.Dim(2 + i) + pads[i] + pads[sp + i] - dilations[i] * (k[i] - 1) - 1) / strides[i] + 1;
        return b.AddNode("Conv", bias is null ? [x, w] : [x, w, bias], x.ElementType, shape,
            Ints("dilations", dilations), Int("group", group), Ints("kernel_shape", k), Ints("pads", pads), Ints("strides", strides));
    }

    /// <summary>Transposed convolution; weight (I, O/g, k...), optional bias (O).</summary>
    public static OnnxValue ConvTranspose(this OnnxGraphBuilder b, OnnxValue x, OnnxValue w, OnnxValue? bias,
        long[] strides, long[] pads, long[] dilations, long[] outputPadding, long group)
    {
        int sp = x.Rank - 2;
        var k = w.Shape.Skip(2).Select(d => d.Size).ToArray();
        var shape = new OnnxDim[x.Rank];
        shape[0] = x.Shape[0];
        shape[1] = w.Dim(1) * group;
        for (int i = 0; i < sp; i++)
            shape[2 + i] = strides[i] * (x.Dim(2 + i) - 1) + outputPadding[i] + dilations[i] * (k[i] - 1) + 1 - pads[i] - pads[sp + i];
        return b.AddNode("ConvTranspose", bias is null ? [x, w] : [x, w, bias], x.ElementType, shape,
            Ints("dilations", dilations), Int("group", group), Ints("kernel_shape", k), Ints("output_padding", outputPadding),
            Ints("pads", pads), Ints("strides", strides));
    }

    /// <summary>Inference-mode BatchNormalization over axis 1.</summary>
    public static OnnxValue BatchNormalization(this OnnxGraphBuilder b, OnnxValue x, OnnxValue scale, OnnxValue bias,
        OnnxValue mean, OnnxValue variance, float epsilon) =>
        b.AddNode("BatchNormalization", [x, scale, bias, mean, variance], x.ElementType, x.Shape, Float("epsilon", epsilon));

    /// <summary>LayerNormalization (opset 17+) over the dims from <paramref name="axis"/> on.</summary>
    public static OnnxValue LayerNormalization(this OnnxGraphBuilder b, OnnxValue x, OnnxValue scale, OnnxValue? bias, int axis, float epsilon) =>
        b.AddNode("LayerNormalization", bias is null ? [x, scale] : [x, scale, bias], [(x.ElementType, x.Shape)],
            [Int("axis", axis), Float("epsilon", epsilon)])[0];

    /// <summary>InstanceNormalization: normalises each (n, c) over the remaining dims.</summary>
    public static OnnxValue InstanceNormalization(this OnnxGraphBuilder b, OnnxValue x, OnnxValue scale, OnnxValue bias, float epsilon) =>
        b.AddNode("InstanceNormalization", [x, scale, bias], x.ElementType, x.Shape, Float("epsilon", epsilon));

    private static OnnxDim[] ReducedShape(OnnxValue x, long[] axes, bool keepDims)
    {
        var set = axes.Select(a => NormAxis((int)a, x.Rank)).ToHashSet();
        var list = new List<OnnxDim>();
        for (int i = 0; i < x.Rank; i++)
            if (!set.Contains(i)) list.Add(x.Shape[i]);
            else if (keepDims) list.Add(1);
        return list.ToArray();
    }

    private static OnnxValue Reduce(OnnxGraphBuilder b, string op, OnnxValue x, long[] axes, bool keepDims)
    {
        var shape = ReducedShape(x, axes, keepDims);
        if (b.Opset >= 18)
        {
            var ax = b.AddInt64Vector("axes", axes);
            return b.AddNode(op, [x, ax], x.ElementType, shape, Int("keepdims", keepDims ? 1 : 0));
        }
        return b.AddNode(op, [x], x.ElementType, shape, Ints("axes", axes), Int("keepdims", keepDims ? 1 : 0));
    }

    /// <summary>ReduceMean (axes as attribute before opset 18, as input from 18).</summary>
    public static OnnxValue ReduceMean(this OnnxGraphBuilder b, OnnxValue x, long[] axes, bool keepDims) => Reduce(b, "ReduceMean", x, axes, keepDims);

    /// <summary>ReduceL2 (axes as attribute before opset 18, as input from 18).</summary>
    public static OnnxValue ReduceL2(this OnnxGraphBuilder b, OnnxValue x, long[] axes, bool keepDims) => Reduce(b, "ReduceL2", x, axes, keepDims);

    /// <summary>ArgMax along <paramref name="axis"/>; int64 output. select_last_index=0 (first maximum, as torch).</summary>
    public static OnnxValue ArgMax(this OnnxGraphBuilder b, OnnxValue x, int axis, bool keepDims)
    {
        var shape = ReducedShape(x, [axis], keepDims);
        return b.AddNode("ArgMax", [x], OnnxElementType.Int64, shape, Int("axis", axis), Int("keepdims", keepDims ? 1 : 0));
    }

    /// <summary>Gather along <paramref name="axis"/>: out shape = data[:axis] + indices + data[axis+1:].</summary>
    public static OnnxValue Gather(this OnnxGraphBuilder b, OnnxValue data, OnnxValue indices, int axis = 0)
    {
        axis = NormAxis(axis, data.Rank);
        OnnxDim[] shape = [.. data.Shape.Take(axis), .. indices.Shape, .. data.Shape.Skip(axis + 1)];
        return b.AddNode("Gather", [data, indices], data.ElementType, shape, Int("axis", axis));
    }

    /// <summary>Elements [<paramref name="start"/>, <paramref name="end"/>) of one static axis (Slice, opset 10+ inputs form).</summary>
    public static OnnxValue Slice(this OnnxGraphBuilder b, OnnxValue x, int axis, long start, long end)
    {
        axis = NormAxis(axis, x.Rank);
        var dim = x.Shape[axis];
        if (!dim.IsStatic) throw new InvalidOperationException($"Slice of {x}: axis {axis} is symbolic.");
        if (start < 0 || end > dim.Size || start >= end)
            throw new ArgumentException($"Slice of {x}: [{start}, {end}) is not a non-empty range of axis {axis}.");
        var shape = x.Shape.ToArray();
        shape[axis] = end - start;
        return b.AddNode("Slice", [x, b.AddInt64Vector("starts", start), b.AddInt64Vector("ends", end), b.AddInt64Vector("axes", axis)],
            x.ElementType, shape);
    }

    /// <summary>Concat along <paramref name="axis"/>; every other dimension must agree.</summary>
    public static OnnxValue Concat(this OnnxGraphBuilder b, int axis, params OnnxValue[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("Concat needs at least one input.");
        var first = parts[0];
        axis = NormAxis(axis, first.Rank);
        foreach (var p in parts)
            if (p.Rank != first.Rank || p.ElementType != first.ElementType ||
                Enumerable.Range(0, first.Rank).Any(i => i != axis && p.Shape[i] != first.Shape[i]))
                throw new InvalidOperationException($"Concat on axis {axis}: {p} does not fit {first}.");
        var shape = first.Shape.ToArray();
        shape[axis] = parts.All(p => p.Shape[axis].IsStatic) ? OnnxDim.Of(parts.Sum(p => p.Shape[axis].Size)) : throw new InvalidOperationException("Concat along a symbolic axis.");
        return b.AddNode("Concat", parts, first.ElementType, shape, Int("axis", axis));
    }

    /// <summary>Nearest-neighbour Resize by integer-valued <paramref name="scales"/> (one per dim), PyTorch 'nearest' semantics.</summary>
    public static OnnxValue ResizeNearest(this OnnxGraphBuilder b, OnnxValue x, float[] scales)
    {
        if (scales.Length != x.Rank) throw new ArgumentException($"Resize needs {x.Rank} scales.");
        var shape = x.Shape.Select((d, i) => d.IsStatic ? OnnxDim.Of((long)Math.Floor(d.Size * (double)scales[i])) : (scales[i] == 1f ? d : throw new InvalidOperationException("Cannot scale a symbolic dim."))).ToArray();
        var s = b.AddInitializer("scales", scales, scales.Length);
        return b.AddNode("Resize", [x, null, s], x.ElementType, shape,
            String("coordinate_transformation_mode", "asymmetric"), String("mode", "nearest"), String("nearest_mode", "floor"));
    }
}
