using Google.Protobuf;
using LangBridge.Onnx.Proto;

namespace LangBridge.Onnx.Graph;

/// <summary>A typed node attribute. Create with the static factories (<see cref="Int"/>, <see cref="Floats"/>, ...).</summary>
public sealed class OnnxAttribute
{
    private OnnxAttribute(AttributeProto proto) => Proto = proto;

    internal AttributeProto Proto { get; }

    public string Name => Proto.Name;

    public static OnnxAttribute Int(string name, long value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    public static OnnxAttribute Float(string name, float value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

    public static OnnxAttribute String(string name, string value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });

    public static OnnxAttribute Ints(string name, params long[] values)
    {
        var p = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        p.Ints.AddRange(values);
        return new(p);
    }

    public static OnnxAttribute Floats(string name, params float[] values)
    {
        var p = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        p.Floats.AddRange(values);
        return new(p);
    }

    public static OnnxAttribute Strings(string name, params string[] values)
    {
        var p = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        p.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return new(p);
    }

    public static OnnxAttribute Tensor(string name, TensorProto value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value });
}
