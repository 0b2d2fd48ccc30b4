namespace LangBridge.Runtime;

/// <summary>Buffers for one decode call of a given batch size: token ids in, image out.</summary>
internal sealed class DecodeBuffers : IDisposable
{
    public DecodeBuffers(int batch, ImageSpec image, int perImage)
    {
        Ids = new TensorBuffer<long>([batch, perImage]);
        Images = new TensorBuffer<float>([batch, image.Channels, image.Height, image.Width]);
    }

    public TensorBuffer<long> Ids { get; }

    public TensorBuffer<float> Images { get; }

    public void Dispose()
    {
        Ids.Dispose();
        Images.Dispose();
    }
}
