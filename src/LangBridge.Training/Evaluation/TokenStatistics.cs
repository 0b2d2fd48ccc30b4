namespace LangBridge.Training.Evaluation;

/// <summary>How much of the codebook the tokens use.</summary>
/// <param name="UniqueTokens">Distinct token ids seen.</param>
/// <param name="Perplexity">exp(entropy) of the token histogram: the "effective" number of codes in use.</param>
public sealed record TokenStatistics(int UniqueTokens, double Perplexity)
{
    /// <summary>Histogram statistics over all token ids (any shape, flattened).</summary>
    public static TokenStatistics From(ReadOnlySpan<long> tokenIds)
    {
        if (tokenIds.IsEmpty) throw new ArgumentException("no tokens", nameof(tokenIds));
        var counts = new Dictionary<long, int>();
        foreach (var id in tokenIds) counts[id] = counts.GetValueOrDefault(id) + 1;
        double total = tokenIds.Length, entropy = 0;
        foreach (var c in counts.Values)
        {
            double p = c / total;
            entropy -= p * Math.Log(p);
        }
        return new TokenStatistics(counts.Count, Math.Exp(entropy));
    }
}
