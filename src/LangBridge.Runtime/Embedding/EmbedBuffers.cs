namespace LangBridge.Runtime;

/// <summary>Buffers of one embedding call of a given batch size: the encoder's input and its <c>[batch, E]</c> output.</summary>
internal sealed class EmbedBuffers : IDisposable
{
    public EmbedBuffers(TensorSpec input, long[] inputShape, TensorSpec output, int dimension)
    {
        Input = new TensorBuffer<float>(input.Name, inputShape);
        Output = new TensorBuffer<float>(output.Name, [inputShape[0], dimension]);
    }

    public TensorBuffer<float> Input { get; }

    public TensorBuffer<float> Output { get; }

    public void Dispose()
    {
        Input.Dispose();
        Output.Dispose();
    }
}
