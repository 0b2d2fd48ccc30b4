using System.Runtime.InteropServices;

namespace LangBridge.Runtime.Tests.Fixtures;

/// <summary>
/// Writes small ONNX models with the official field numbers of onnx.proto (ModelProto,
/// GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
/// </summary>
internal sealed class OnnxModelWriter
{
    private const int Float = 1;
    private const int Int64 = 7;
    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private readonly List<ProtoWriter> _inputs = [];
    private readonly List<ProtoWriter> _outputs = [];
    private int _nodeCount;

    public void Input(string name, bool isInt64, params object[] shape) => _inputs.Add(ValueInfo(name, isInt64, shape));

    public void Output(string name, bool isInt64, params object[] shape) => _outputs.Add(ValueInfo(name, isInt64, shape));

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

    private static ProtoWriter ValueInfo(string name, bool isInt64, object[] shape)
    {
        var shapeProto = new ProtoWriter();
        foreach (var d in shape)
        {
            shapeProto.Message(1, d is string symbol ? new ProtoWriter().String(2, symbol) : new ProtoWriter().Varint(1, Convert.ToInt64(d)));
        }

        var tensorType = new ProtoWriter().Varint(1, isInt64 ? Int64 : Float).Message(2, shapeProto);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
