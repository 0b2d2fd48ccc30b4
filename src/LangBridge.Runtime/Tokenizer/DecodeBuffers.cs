namespace LangBridge.Runtime;

/// <summary>Buffers for one decode call of a given batch size: token ids in, image out.</summary>
internal sealed class DecodeBuffers : IDisposable
{
    public DecodeBuffers(int batch, ImageSpec image, LqaeLayout layout, int perImage)
    {
        Ids = new TensorBuffer<long>(layout.DecoderInput.Name, [batch, perImage]);
        Images = new TensorBuffer<float>(layout.DecodedImage.Name, [batch, image.Channels, image.Height, image.Width]);
    }

    public TensorBuffer<long> Ids { get; }

    public TensorBuffer<float> Images { get; }

    public void Dispose()
    {
        Ids.Dispose();
        Images.Dispose();
    }
}
