namespace LangBridge.Runtime;

/// <summary>Buffers for one encode call of a given batch size: image input (pixel path), latents, ids, codes.</summary>
internal sealed class EncodeBuffers : IDisposable
{
    public EncodeBuffers(int batch, ImageSpec image, long[] latentShape, int perImage, int embeddingDim, bool hasCodes)
    {
        Images = new TensorBuffer<float>([batch, image.Channels, image.Height, image.Width]);
        Latents = new TensorBuffer<float>([batch, .. latentShape]);
        Ids = new TensorBuffer<long>([batch, perImage]);
        Codes = hasCodes ? new TensorBuffer<float>([batch, perImage, embeddingDim]) : null;
        QuantizerOutputs = Codes is null ? [Ids.Value] : [Ids.Value, Codes.Value];
    }

    public TensorBuffer<float> Images { get; }

    public TensorBuffer<float> Latents { get; }

    public TensorBuffer<long> Ids { get; }

    public TensorBuffer<float>? Codes { get; }

    public Microsoft.ML.OnnxRuntime.OrtValue[] QuantizerOutputs { get; }

    public void Dispose()
    {
        Images.Dispose();
        Latents.Dispose();
        Ids.Dispose();
        Codes?.Dispose();
    }
}
