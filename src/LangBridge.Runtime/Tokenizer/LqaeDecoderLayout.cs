namespace LangBridge.Runtime;

/// <summary>The <c>decoder</c> graph's tensors: token ids (batch, N) in, image out.</summary>
internal sealed record LqaeDecoderLayout(TensorSpec TokenIds, TensorSpec Image);
