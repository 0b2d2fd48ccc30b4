namespace LangBridge.Runtime;

/// <summary>
/// A pinned array and the graph tensor that views it. The array lives on the pinned object heap, so
/// ONNX Runtime reads and writes it in place (no copies) and the GC never has to move around it.
/// </summary>
internal sealed class TensorBuffer<T> : IDisposable
    where T : unmanaged
{
    public TensorBuffer(string name, long[] shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }

        Array = GC.AllocateUninitializedArray<T>(checked((int)count), pinned: true);
        Tensor = GraphTensor.FromMemory(name, Array.AsMemory(), shape);
    }

    public T[] Array { get; }

    public GraphTensor Tensor { get; }

    /// <summary>A second view of the same memory under another name (one graph's output is the next one's input).</summary>
    public GraphTensor Alias(string name) => GraphTensor.FromMemory(name, Array.AsMemory(), [.. Tensor.Shape]);

    public void Dispose() => Tensor.Dispose();
}
