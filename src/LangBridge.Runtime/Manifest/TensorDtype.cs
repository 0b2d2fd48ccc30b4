using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LangBridge.Runtime;

/// <summary>
/// The element types a bundle tensor may have (<see cref="TensorSpec.Dtype"/>) and the .NET types
/// that carry them: <c>float32</c> = <see cref="float"/>, <c>float16</c> =
/// <see cref="Float16"/> (ONNX Runtime's), <c>int64</c> = <see cref="long"/>, <c>int32</c> =
/// <see cref="int"/>, <c>uint8</c> = <see cref="byte"/>, <c>bool</c> = <see cref="bool"/>.
/// </summary>
public static class TensorDtype
{
    /// <summary>32-bit float.</summary>
    public const string Float32 = "float32";

    /// <summary>16-bit IEEE float (<see cref="Float16"/>).</summary>
    public const string Float16 = "float16";

    /// <summary>64-bit signed integer.</summary>
    public const string Int64 = "int64";

    /// <summary>32-bit signed integer.</summary>
    public const string Int32 = "int32";

    /// <summary>8-bit unsigned integer.</summary>
    public const string UInt8 = "uint8";

    /// <summary>Boolean, one byte per element.</summary>
    public const string Bool = "bool";

    /// <summary>Every dtype the bundle format allows.</summary>
    public static IReadOnlyList<string> All { get; } = [Float32, Float16, Int64, Int32, UInt8, Bool];

    /// <summary>The dtype carried by the .NET element type <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not one of the six element types.</exception>
    public static string Of<T>()
        where T : unmanaged =>
        typeof(T) == typeof(float) ? Float32
        : typeof(T) == typeof(long) ? Int64
        : typeof(T) == typeof(int) ? Int32
        : typeof(T) == typeof(byte) ? UInt8
        : typeof(T) == typeof(bool) ? Bool
        : typeof(T) == typeof(Microsoft.ML.OnnxRuntime.Float16) ? Float16
        : throw new NotSupportedException(
            $"{typeof(T).Name} is not a bundle element type; use float, long, int, byte, bool or Microsoft.ML.OnnxRuntime.Float16.");

    /// <summary>The dtype of an ONNX Runtime element type, or its enum name when the format does not allow it.</summary>
    internal static string Of(TensorElementType type) => type switch
    {
        TensorElementType.Float => Float32,
        TensorElementType.Float16 => Float16,
        TensorElementType.Int64 => Int64,
        TensorElementType.Int32 => Int32,
        TensorElementType.UInt8 => UInt8,
        TensorElementType.Bool => Bool,
        _ => type.ToString(),
    };
}
