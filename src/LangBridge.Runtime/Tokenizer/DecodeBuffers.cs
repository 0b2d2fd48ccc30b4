namespace LangBridge.Runtime;

/// <summary>
/// Buffers for one decode call of a given batch size: token ids in, image out; with a BERT path the ids feed
/// the <c>bert</c> graph and its hidden states the <c>hidden_decoder</c>.
/// </summary>
internal sealed class DecodeBuffers : IDisposable
{
    public DecodeBuffers(int batch, ImageSpec image, LqaeLayout layout, int perImage)
    {
        var decoded = layout.Bert?.DecodedImage ?? layout.Decoder!.Image;
        Ids = new TensorBuffer<long>(layout.Bert is null ? layout.Decoder!.TokenIds.Name : "ids", [batch, perImage]);
        Images = new TensorBuffer<float>(decoded.Name, [batch, image.Channels, image.Height, image.Width]);
        Bert = layout.Bert is { } bert ? new BertBuffers(batch, bert, Ids, perImage) : null;
    }

    /// <summary>(B, N) ids; named as the decoder's input without a BERT (with one, <see cref="BertBuffers.Ids"/> views them).</summary>
    public TensorBuffer<long> Ids { get; }

    public TensorBuffer<float> Images { get; }

    public BertBuffers? Bert { get; }

    public void Dispose()
    {
        Bert?.Dispose();
        Ids.Dispose();
        Images.Dispose();
    }
}
