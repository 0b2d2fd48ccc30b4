using System.Collections.Immutable;

namespace LangBridge.Runtime;

/// <summary>One image as tokens: ids into the vocabulary, the words they stand for, and the code vectors.</summary>
/// <param name="TokenIds">Token ids in grid order (row-major), <c>tokens.perImage</c> of them.</param>
/// <param name="Words">The vocabulary word of each id.</param>
/// <param name="Codes">The quantized code vectors, <c>perImage × embeddingDim</c> floats row-major
/// (the language model's embeddings of the words); empty if the quantizer graph has no codes output.</param>
/// <remarks>Equality compares the contents of the arrays (not their identity).</remarks>
public sealed record TokenizedImage(ImmutableArray<long> TokenIds, ImmutableArray<string> Words, ImmutableArray<float> Codes)
{
    /// <summary>The words joined by spaces, e.g. to put into a prompt.</summary>
    public string Text => string.Join(' ', Words);

    /// <summary>The bundle's BERT reading these words; null unless asked for (<see cref="ImageTokenizer.EncodeWithFeatures(PixelImage)"/>).</summary>
    public BertFeatures? Features { get; init; }

    /// <inheritdoc />
    public bool Equals(TokenizedImage? other) =>
        other is not null && TokenIds.AsSpan().SequenceEqual(other.TokenIds.AsSpan()) &&
        Words.AsSpan().SequenceEqual(other.Words.AsSpan()) && Codes.AsSpan().SequenceEqual(other.Codes.AsSpan()) &&
        Equals(Features, other.Features);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var id in TokenIds)
        {
            hash.Add(id);
        }

        return hash.ToHashCode();
    }
}
