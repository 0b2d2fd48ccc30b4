namespace LangBridge.Runtime;

/// <summary>Buffers for one encode call of a given batch size: image input (pixel path), latents, ids, codes, and the BERT's if the bundle has one.</summary>
internal sealed class EncodeBuffers : IDisposable
{
    public EncodeBuffers(int batch, ImageSpec image, LqaeLayout layout, long[] latentShape, int perImage, int embeddingDim)
    {
        Images = new TensorBuffer<float>(layout.Image.Name, [batch, image.Channels, image.Height, image.Width]);
        Latents = new TensorBuffer<float>(layout.Latents.Name, [batch, .. latentShape]);
        QuantizerInput = Latents.Alias(layout.QuantizerInput.Name);
        Ids = new TensorBuffer<long>(layout.TokenIds.Name, [batch, perImage]);
        Codes = layout.Codes is { } codes ? new TensorBuffer<float>(codes.Name, [batch, perImage, embeddingDim]) : null;
        QuantizerOutputs = Codes is null ? [Ids.Tensor] : [Ids.Tensor, Codes.Tensor];
        Bert = layout.Bert is { } bert ? new BertBuffers(batch, bert, Ids, perImage) : null;
    }

    /// <summary>The BERT's buffers over <see cref="Ids"/>; null without a bert graph.</summary>
    public BertBuffers? Bert { get; }

    public TensorBuffer<float> Images { get; }

    public TensorBuffer<float> Latents { get; }

    /// <summary>The latents again, named as the quantizer's input.</summary>
    public GraphTensor QuantizerInput { get; }

    public TensorBuffer<long> Ids { get; }

    public TensorBuffer<float>? Codes { get; }

    public GraphTensor[] QuantizerOutputs { get; }

    public void Dispose()
    {
        Bert?.Dispose();
        Images.Dispose();
        QuantizerInput.Dispose();
        Latents.Dispose();
        Ids.Dispose();
        Codes?.Dispose();
    }
}
