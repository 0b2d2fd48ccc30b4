using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime;

/// <summary>
/// A pinned array and the OrtValue that views it. The array lives on the pinned object heap, so
/// ONNX Runtime reads and writes it in place (no copies) and the GC never has to move around it.
/// </summary>
internal sealed class TensorBuffer<T> : IDisposable
    where T : unmanaged
{
    public TensorBuffer(long[] shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }

        Array = GC.AllocateUninitializedArray<T>(checked((int)count), pinned: true);
        Value = OrtValue.CreateTensorValueFromMemory(Array, shape);
    }

    public T[] Array { get; }

    public OrtValue Value { get; }

    public void Dispose() => Value.Dispose();
}
