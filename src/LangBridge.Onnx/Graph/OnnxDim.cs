namespace LangBridge.Onnx.Graph;

/// <summary>
/// One dimension of a tensor shape: either a static size or a symbolic name (<c>dim_param</c>).
/// Converts implicitly from <see cref="long"/>/<see cref="int"/> (static) and <see cref="string"/> (symbolic),
/// so shapes can be written as collection expressions: <c>OnnxDim[] s = ["batch", 3, 28, 28];</c>
/// </summary>
public readonly record struct OnnxDim
{
    /// <summary>The name of the only dynamic dimension our graphs use.</summary>
    public const string BatchName = "batch";

    public static OnnxDim Batch { get; } = new(BatchName);

    private OnnxDim(long value) { Value = value; Param = null; }
    private OnnxDim(string param) { Value = null; Param = param; }

    public long? Value { get; }
    public string? Param { get; }
    public bool IsStatic => Value.HasValue;

    public static OnnxDim Of(long value) =>
        value >= 0 ? new OnnxDim(value) : throw new ArgumentOutOfRangeException(nameof(value), value, "A static dimension must be >= 0.");

    public static OnnxDim Symbolic(string name) =>
        string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A symbolic dimension needs a name.", nameof(name)) : new OnnxDim(name);

    public static implicit operator OnnxDim(long value) => Of(value);
    public static implicit operator OnnxDim(int value) => Of(value);
    public static implicit operator OnnxDim(string name) => Symbolic(name);

    /// <summary>The static size; throws when the dimension is symbolic.</summary>
    public long Size => Value ?? throw new InvalidOperationException($"Dimension '{Param}' is symbolic, a static size was needed.");

    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Param!;
}

public static class OnnxShape
{
    public static string Format(IReadOnlyList<OnnxDim> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Number of elements when every dimension is static.</summary>
    public static long StaticNumel(IReadOnlyList<OnnxDim> shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d.Size;
        return n;
    }

    /// <summary>Numpy-style broadcast of two shapes (symbolic dims must agree by name or meet 1).</summary>
    public static OnnxDim[] Broadcast(IReadOnlyList<OnnxDim> a, IReadOnlyList<OnnxDim> b)
    {
        int rank = Math.Max(a.Count, b.Count);
        var result = new OnnxDim[rank];
        for (int i = 0; i < rank; i++)
        {
            int ia = a.Count - rank + i, ib = b.Count - rank + i;
            OnnxDim? da = ia >= 0 ? a[ia] : default(OnnxDim?), db = ib >= 0 ? b[ib] : default(OnnxDim?);
            if (da is null) { result[i] = db!.Value; continue; }
            if (db is null) { result[i] = da.Value; continue; }
            var x = da.Value; var y = db.Value;
            if (x == y) result[i] = x;
            else if (x.Value == 1) result[i] = y;
            else if (y.Value == 1) result[i] = x;
            else throw new InvalidOperationException($"Shapes {Format(a)} and {Format(b)} do not broadcast.");
        }
        return result;
    }
}
