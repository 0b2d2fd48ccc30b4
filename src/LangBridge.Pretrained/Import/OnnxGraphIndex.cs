using LangBridge.Onnx.Proto;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Import;

/// <summary>
/// A read-only view of an ONNX graph for importing weights by structure: initializers by name,
/// each value's producer and consumers, and Constant nodes' tensors.
/// </summary>
public sealed class OnnxGraphIndex
{
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);

    public OnnxGraphIndex(ModelProto model, string source)
    {
        Model = model;
        Source = source;
        foreach (var t in model.Graph.Initializer) _initializers[t.Name] = t;
        foreach (var n in model.Graph.Node)
        {
            foreach (var o in n.Output) _producer[o] = n;
            foreach (var i in n.Input)
            {
                if (i.Length == 0) continue;
                if (!_consumers.TryGetValue(i, out var list)) _consumers[i] = list = [];
                list.Add(n);
            }
        }
    }

    public ModelProto Model { get; }
    public string Source { get; }
    public IEnumerable<string> InitializerNames => _initializers.Keys;

    public bool HasInitializer(string name) => _initializers.ContainsKey(name);

    public TensorProto Initializer(string name) =>
        _initializers.TryGetValue(name, out var t) ? t : throw new PretrainedFormatException(Source, name, "initializer is missing.");

    public NodeProto? Producer(string value) => _producer.GetValueOrDefault(value);

    public IReadOnlyList<NodeProto> Consumers(string value) => _consumers.TryGetValue(value, out var l) ? l : [];

    /// <summary>The single consumer of <paramref name="value"/> with op <paramref name="op"/>; fails naming the value otherwise.</summary>
    public NodeProto SingleConsumer(string value, string op)
    {
        var found = Consumers(value).Where(n => n.OpType == op).ToList();
        if (found.Count != 1)
            throw new PretrainedFormatException(Source, value, $"expected one {op} consuming it, found {found.Count} (consumers: {string.Join(", ", Consumers(value).Select(n => n.OpType))}).");
        return found[0];
    }

    /// <summary>A tensor named <paramref name="name"/> from an initializer or a Constant node's value, if any.</summary>
    public TensorProto? ConstantTensor(string name)
    {
        if (_initializers.TryGetValue(name, out var t)) return t;
        var p = Producer(name);
        if (p is { OpType: "Constant" }) return p.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        return null;
    }

    public static long[] Dims(TensorProto t) => t.Dims.ToArray();

    /// <summary>float32 values of a tensor (raw_data or float_data).</summary>
    public float[] Floats(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw new PretrainedFormatException(Source, t.Name, $"expected float32 data, found data type {t.DataType}.");
        long n = Dims(t).Aggregate(1L, (p, d) => p * d);
        float[] values;
        if (!t.RawData.IsEmpty)
        {
            if (t.RawData.Length != n * sizeof(float))
                throw new PretrainedFormatException(Source, t.Name, $"raw_data holds {t.RawData.Length} bytes, shape needs {n * sizeof(float)}.");
            values = new float[n];
            t.RawData.Span.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        }
        else
        {
            values = t.FloatData.ToArray();
            if (values.Length != n) throw new PretrainedFormatException(Source, t.Name, $"float_data holds {values.Length} values, shape needs {n}.");
        }
        return values;
    }

    /// <summary>int64 values of a small tensor (raw_data or int64_data).</summary>
    public long[] Longs(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Int64)
            throw new PretrainedFormatException(Source, t.Name, $"expected int64 data, found data type {t.DataType}.");
        if (!t.RawData.IsEmpty)
        {
            var v = new long[t.RawData.Length / sizeof(long)];
            t.RawData.Span.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()));
            return v;
        }
        return t.Int64Data.ToArray();
    }

    /// <summary>A float32 tensor as a TorchSharp tensor of its shape.</summary>
    public Tensor ToTensor(TensorProto t) => tensor(Floats(t), Dims(t));

    public static AttributeProto? Attr(NodeProto n, string name) => n.Attribute.FirstOrDefault(a => a.Name == name);
    public static long[] Ints(NodeProto n, string name, long[] fallback) => Attr(n, name) is { } a ? a.Ints.ToArray() : fallback;
    public static float Float(NodeProto n, string name, float fallback) => Attr(n, name) is { } a ? a.F : fallback;
}
