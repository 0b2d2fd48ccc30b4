namespace LangBridge.Runtime;

/// <summary>A batch of encoded texts, padded to the longest: ids and mask, row-major (<c>Batch × Length</c>).</summary>
/// <param name="Batch">Number of texts.</param>
/// <param name="Length">Tokens per row, [CLS] and [SEP] included (the longest text's count).</param>
/// <param name="InputIds">Token ids, padding ids after each text's [SEP].</param>
/// <param name="AttentionMask">1 where a row holds a token, 0 where it is padding.</param>
public sealed record TokenBatch(int Batch, int Length, long[] InputIds, long[] AttentionMask)
{
    /// <summary>Per text: whether its word pieces were cut at <see cref="WordPieceOptions.MaxLength"/> (empty when not recorded).</summary>
    public IReadOnlyList<bool> Truncated { get; init; } = [];

    /// <summary>The ids of one row.</summary>
    public ReadOnlySpan<long> Ids(int row) => InputIds.AsSpan(row * Length, Length);
}
