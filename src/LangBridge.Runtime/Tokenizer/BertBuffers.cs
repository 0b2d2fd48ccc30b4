namespace LangBridge.Runtime;

/// <summary>
/// Buffers for running the <c>bert</c> graph on a batch: the ids (a view of buffers the caller owns, named as
/// the BERT's input), an all-ones attention mask (every position a token) and the hidden states, also viewed
/// under the <c>hidden_decoder</c>'s input name.
/// </summary>
internal sealed class BertBuffers : IDisposable
{
    public BertBuffers(int batch, LqaeBertLayout bert, TensorBuffer<long> ids, int perImage)
    {
        Ids = ids.Alias(bert.TokenIds.Name);
        Mask = new TensorBuffer<long>(bert.AttentionMask.Name, [batch, perImage]);
        Array.Fill(Mask.Array, 1L);
        Hidden = new TensorBuffer<float>(bert.HiddenStates.Name, [batch, perImage, bert.HiddenSize]);
        DecoderInput = Hidden.Alias(bert.HiddenDecoderInput.Name);
    }

    /// <summary>The caller's ids (B, N), named as the BERT's input.</summary>
    public GraphTensor Ids { get; }

    /// <summary>(B, N) ones.</summary>
    public TensorBuffer<long> Mask { get; }

    /// <summary>(B, N, D) the last hidden states.</summary>
    public TensorBuffer<float> Hidden { get; }

    /// <summary>The hidden states again, named as the hidden_decoder's input.</summary>
    public GraphTensor DecoderInput { get; }

    public void Dispose()
    {
        Ids.Dispose();
        DecoderInput.Dispose();
        Mask.Dispose();
        Hidden.Dispose();
    }
}
