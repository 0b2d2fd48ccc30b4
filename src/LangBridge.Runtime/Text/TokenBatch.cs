namespace LangBridge.Runtime;

/// <summary>A batch of encoded texts, padded to the longest: ids and mask, row-major (<c>Batch × Length</c>).</summary>
public sealed class TokenBatch
{
    /// <summary>Creates a batch.</summary>
    /// <param name="batch">Number of texts.</param>
    /// <param name="length">Tokens per row, [CLS] and [SEP] included (the longest text's count).</param>
    /// <param name="inputIds">Token ids, padding ids after each text's [SEP].</param>
    /// <param name="attentionMask">1 where a row holds a token, 0 where it is padding.</param>
    public TokenBatch(int batch, int length, long[] inputIds, long[] attentionMask)
    {
        Batch = batch;
        Length = length;
        InputIds = inputIds;
        AttentionMask = attentionMask;
    }

    /// <summary>Number of texts.</summary>
    public int Batch { get; }

    /// <summary>Tokens per row, [CLS] and [SEP] included (the longest text's count).</summary>
    public int Length { get; }

    /// <summary>Token ids, row-major, padding ids after each text's [SEP].</summary>
    public long[] InputIds { get; }

    /// <summary>1 where a row holds a token, 0 where it is padding; row-major.</summary>
    public long[] AttentionMask { get; }

    /// <summary>Per text: whether its word pieces were cut at <see cref="WordPieceOptions.MaxLength"/> (empty when not recorded).</summary>
    public IReadOnlyList<bool> Truncated { get; init; } = [];

    /// <summary>The ids of one row.</summary>
    public ReadOnlySpan<long> Ids(int row) => InputIds.AsSpan(row * Length, Length);
}
