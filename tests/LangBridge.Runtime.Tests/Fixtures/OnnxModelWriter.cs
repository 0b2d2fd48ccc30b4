using System.Runtime.InteropServices;

namespace LangBridge.Runtime.Tests.Fixtures;

/// <summary>
/// Writes small ONNX models with the official field numbers of onnx.proto (ModelProto,
/// GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
/// </summary>
internal sealed class OnnxModelWriter
{
    // TensorProto.DataType values.
    public const int Float = 1, UInt8 = 2, Int32 = 6, Int64 = 7, Bool = 9, Float16 = 10;
    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private readonly List<ProtoWriter> _inputs = [];
    private readonly List<ProtoWriter> _outputs = [];
    private int _nodeCount;

    public void Input(string name, bool isInt64, params object[] shape) => _inputs.Add(ValueInfo(name, isInt64 ? Int64 : Float, shape));

    public void Output(string name, bool isInt64, params object[] shape) => _outputs.Add(ValueInfo(name, isInt64 ? Int64 : Float, shape));

    public void TypedInput(string name, int elementType, params object[] shape) => _inputs.Add(ValueInfo(name, elementType, shape));

    public void TypedOutput(string name, int elementType, params object[] shape) => _outputs.Add(ValueInfo(name, elementType, shape));

    /// <summary>
    /// A float initializer whose values live in an external-data file (ONNX external data: data_location
    /// EXTERNAL, external_data location/offset/length); returns the bytes to write at that offset.
    /// </summary>
    public byte[] ExternalInitializer(string name, float[] values, string location, long offset, params long[] dims)
    {
        var raw = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var t = new ProtoWriter();
        foreach (var d in dims)
        {
            t.Varint(1, d);
        }

        t.Varint(2, Float).String(8, name);
        t.Message(13, new ProtoWriter().String(1, "location").String(2, location));
        t.Message(13, new ProtoWriter().String(1, "offset").String(2, offset.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        t.Message(13, new ProtoWriter().String(1, "length").String(2, raw.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        t.Varint(14, 1); // DataLocation.EXTERNAL
        _initializers.Add(t);
        return raw;
    }

    public void Initializer(string name, float[] values, params long[] dims) =>
        _initializers.Add(Tensor(name, Float, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), dims));

    public void Initializer(string name, long[] values, params long[] dims) =>
        _initializers.Add(Tensor(name, Int64, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), dims));

    public void Node(string op, string[] inputs, string[] outputs, params (string Name, long Value)[] intAttributes)
    {
        var node = new ProtoWriter();
        foreach (var i in inputs)
        {
            node.String(1, i);
        }

        foreach (var o in outputs)
        {
            node.String(2, o);
        }

        node.String(3, $"{op}_{_nodeCount++}").String(4, op);
        foreach (var (name, value) in intAttributes)
        {
            node.Message(5, new ProtoWriter().String(1, name).Varint(3, value).Varint(20, 2)); // type INT
        }

        _nodes.Add(node);
    }

    public byte[] ToBytes(long opset = 17, long irVersion = 8)
    {
        var graph = new ProtoWriter();
        _nodes.ForEach(n => graph.Message(1, n));
        graph.String(2, "test");
        _initializers.ForEach(t => graph.Message(5, t));
        _inputs.ForEach(v => graph.Message(11, v));
        _outputs.ForEach(v => graph.Message(12, v));
        return new ProtoWriter()
            .Varint(1, irVersion)
            .String(2, "langbridge-tests")
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, string.Empty).Varint(2, opset))
            .ToArray();
    }

    private static ProtoWriter Tensor(string name, int type, byte[] raw, long[] dims)
    {
        var t = new ProtoWriter();
        foreach (var d in dims)
        {
            t.Varint(1, d);
        }

        return t.Varint(2, type).String(8, name).Bytes(9, raw);
    }

    private static ProtoWriter ValueInfo(string name, int elementType, object[] shape)
    {
        var shapeProto = new ProtoWriter();
        foreach (var d in shape)
        {
            shapeProto.Message(1, d is string symbol ? new ProtoWriter().String(2, symbol) : new ProtoWriter().Varint(1, Convert.ToInt64(d)));
        }

        var tensorType = new ProtoWriter().Varint(1, elementType).Message(2, shapeProto);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
