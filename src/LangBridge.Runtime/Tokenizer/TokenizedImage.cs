using System.Collections.Immutable;

namespace LangBridge.Runtime;

/// <summary>One image as tokens: ids into the vocabulary, the words they stand for, and the code vectors.</summary>
/// <param name="TokenIds">Token ids in grid order (row-major), <c>tokens.perImage</c> of them.</param>
/// <param name="Words">The vocabulary word of each id.</param>
/// <param name="Codes">The quantized code vectors, <c>perImage × embeddingDim</c> floats row-major
/// (the language model's embeddings of the words); empty if the quantizer graph has no codes output.</param>
public sealed record TokenizedImage(ImmutableArray<long> TokenIds, ImmutableArray<string> Words, ImmutableArray<float> Codes)
{
    /// <summary>The words joined by spaces, e.g. to put into a prompt.</summary>
    public string Text => string.Join(' ', Words);
}
