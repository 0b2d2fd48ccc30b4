namespace LangBridge.Runtime;

/// <summary>
/// The BERT path of an <c>lqae</c> bundle: the <c>bert</c> graph (token ids + attention mask (batch, N) →
/// hidden states (batch, N, D)) and the <c>hidden_decoder</c> graph (hidden states → image).
/// </summary>
internal sealed record LqaeBertLayout(
    TensorSpec TokenIds, TensorSpec AttentionMask, TensorSpec HiddenStates, TensorSpec HiddenDecoderInput, TensorSpec DecodedImage)
{
    /// <summary>D, the BERT's hidden size.</summary>
    public int HiddenSize => checked((int)HiddenStates.Shape[2].Size!.Value);
}
