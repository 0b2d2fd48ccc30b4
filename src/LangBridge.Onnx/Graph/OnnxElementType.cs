namespace LangBridge.Onnx.Graph;

/// <summary>ONNX tensor element types (values are the official <c>TensorProto.DataType</c> numbers).</summary>
public enum OnnxElementType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Double = 11,
}

public static class OnnxElementTypeExtensions
{
    public static string ToShortName(this OnnxElementType type) => type switch
    {
        OnnxElementType.Float => "float32",
        OnnxElementType.UInt8 => "uint8",
        OnnxElementType.Int8 => "int8",
        OnnxElementType.Int32 => "int32",
        OnnxElementType.Int64 => "int64",
        OnnxElementType.Bool => "bool",
        OnnxElementType.Double => "float64",
        _ => type.ToString().ToLowerInvariant(),
    };
}
