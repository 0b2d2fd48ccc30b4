using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime;

/// <summary>
/// A named tensor handed to or returned by a <see cref="BundleGraph"/>: an ONNX Runtime
/// <see cref="OrtValue"/> over memory that stays where it is. Created over caller memory, the memory
/// is pinned (not copied) until the tensor is disposed; returned by
/// <see cref="BundleGraph.Run(IReadOnlyList{GraphTensor}, IReadOnlyList{string})"/>, the memory is ONNX Runtime's and is
/// freed on dispose. Element types: <c>float</c>, <c>long</c>, <c>int</c>, <c>byte</c>,
/// <c>bool</c>, <see cref="Float16"/> (see <see cref="TensorDtype"/>).
/// </summary>
/// <example><code>
/// long[] ids = …; long[] mask = …;                                  // [batch × sequence] each
/// using var inputIds = GraphTensor.FromMemory("input_ids", ids.AsMemory(), batch, sequence);
/// using var attention = GraphTensor.FromMemory("attention_mask", mask.AsMemory(), batch, sequence);
/// using var outputs = graph.Run([inputIds, attention]);
/// ReadOnlySpan&lt;float&gt; hidden = outputs["last_hidden_state"].GetData&lt;float&gt;();
/// </code></example>
public sealed class GraphTensor : IDisposable
{
    private readonly long[] _shape;
    private OrtValue? _value;

    private GraphTensor(string name, string dtype, long[] shape, OrtValue value, bool isReadOnly)
    {
        Name = name;
        Dtype = dtype;
        _shape = shape;
        _value = value;
        IsReadOnly = isReadOnly;
        ElementCount = Count(shape);
    }

    /// <summary>The graph input or output this tensor is for.</summary>
    public string Name { get; }

    /// <summary>Element type (<see cref="TensorDtype"/>).</summary>
    public string Dtype { get; }

    /// <summary>The shape, every dimension concrete.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>The number of elements (the product of <see cref="Shape"/>).</summary>
    public long ElementCount { get; }

    /// <summary>Whether the tensor views read-only memory (it may then only be an input).</summary>
    public bool IsReadOnly { get; }

    /// <summary>The ONNX Runtime value, for callers that use ONNX Runtime directly (owned by this tensor).</summary>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    public OrtValue Value => _value ?? throw new ObjectDisposedException(nameof(GraphTensor), $"Tensor \"{Name}\" was disposed.");

    /// <summary>
    /// A tensor over writable caller memory (an input, or an output ONNX Runtime writes into). The
    /// memory is pinned, not copied; keep it alive and unchanged while a run uses it.
    /// </summary>
    /// <param name="name">The graph input or output name.</param>
    /// <param name="data">Exactly the product of <paramref name="shape"/> elements, row-major.</param>
    /// <param name="shape">Concrete dimensions (0 allowed, e.g. an empty key/value cache).</param>
    /// <exception cref="InputShapeException">The memory's length is not the shape's element count.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not a bundle element type.</exception>
    public static GraphTensor FromMemory<T>(string name, Memory<T> data, params long[] shape)
        where T : unmanaged => Create(name, data, shape, isReadOnly: false);

    /// <summary>A tensor over read-only caller memory; it may only be a graph input (ONNX Runtime only reads inputs).</summary>
    /// <inheritdoc cref="FromMemory{T}(string, Memory{T}, long[])"/>
    public static GraphTensor FromReadOnlyMemory<T>(string name, ReadOnlyMemory<T> data, params long[] shape)
        where T : unmanaged => Create(name, MemoryMarshal.AsMemory(data), shape, isReadOnly: true);

    /// <summary>Wraps a value ONNX Runtime allocated (an output); the tensor owns and frees it.</summary>
    internal static GraphTensor Own(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        return new GraphTensor(name, TensorDtype.Of(info.ElementDataType), info.Shape, value, isReadOnly: false);
    }

    /// <summary>The elements, row-major, without copying.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="Dtype"/>.</exception>
    public ReadOnlySpan<T> GetData<T>()
        where T : unmanaged
    {
        CheckType<T>();
        return Value.GetTensorDataAsSpan<T>();
    }

    /// <summary>The elements, writable, without copying (not for read-only tensors).</summary>
    /// <exception cref="InvalidOperationException">The tensor is read-only, or <typeparamref name="T"/> does not match <see cref="Dtype"/>.</exception>
    public Span<T> GetWritableData<T>()
        where T : unmanaged
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException($"Tensor \"{Name}\" views read-only memory.");
        }

        CheckType<T>();
        return Value.GetTensorMutableDataAsSpan<T>();
    }

    /// <summary>A copy of the elements.</summary>
    public T[] ToArray<T>()
        where T : unmanaged => GetData<T>().ToArray();

    /// <summary>Shape as text, e.g. <c>[2, 7, 384]</c>.</summary>
    public string DescribeShape() => "[" + string.Join(", ", _shape) + "]";

    /// <summary>Releases the ONNX Runtime value and unpins the memory.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _value, null)?.Dispose();
    }

    private static GraphTensor Create<T>(string name, Memory<T> data, long[] shape, bool isReadOnly)
        where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        var dtype = TensorDtype.Of<T>();
        if (shape.Any(d => d < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(shape), $"Tensor \"{name}\" has a negative dimension in [{string.Join(", ", shape)}].");
        }

        var count = Count(shape);
        if (data.Length != count)
        {
            throw new InputShapeException($"buffer length of tensor \"{name}\"",
                $"{count} {dtype} elements for shape [{string.Join(", ", shape)}]", $"{data.Length} elements");
        }

        var copy = (long[])shape.Clone(); // the caller may reuse its array
        var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data, copy);
        return new GraphTensor(name, dtype, copy, value, isReadOnly);
    }

    private void CheckType<T>()
        where T : unmanaged
    {
        var requested = TensorDtype.Of<T>();
        if (requested != Dtype)
        {
            throw new InvalidOperationException($"Tensor \"{Name}\" holds {Dtype}, not {requested} ({typeof(T).Name}).");
        }
    }

    private static long Count(long[] shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            count = checked(count * d);
        }

        return count;
    }
}
