namespace LangBridge.Runtime;

/// <summary>
/// Picks next tokens from logits by <see cref="SamplingOptions"/>: argmax when greedy (the lowest id wins a tie),
/// else temperature softmax and nucleus sampling with its own seeded random numbers. One sampler a sequence;
/// not thread-safe.
/// </summary>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;

    /// <summary>Creates a sampler; <paramref name="options"/> are validated.</summary>
    public TokenSampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _random = new Random(options.Seed);
    }

    /// <summary>The most probable token of <paramref name="logits"/>.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("no logits", nameof(logits));
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>The next token for one sequence's logits (V).</summary>
    public int Next(ReadOnlySpan<float> logits)
    {
        if (_options.Temperature == 0) return ArgMax(logits);
        float max = logits[ArgMax(logits)];
        var order = new int[logits.Length];
        var p = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            order[i] = i;
            p[i] = Math.Exp((logits[i] - max) / _options.Temperature);
            sum += p[i];
        }
        Array.Sort(order, (a, b) => p[b].CompareTo(p[a]) is var c && c != 0 ? c : a.CompareTo(b));
        // The nucleus: the most probable tokens until their mass reaches top-p (at least one).
        int keep = 0;
        double mass = 0;
        while (keep < order.Length && (keep == 0 || mass < _options.TopP * sum)) mass += p[order[keep++]];
        double r = _random.NextDouble() * mass;
        for (int k = 0; k < keep; k++)
        {
            r -= p[order[k]];
            if (r < 0) return order[k];
        }
        return order[keep - 1];
    }
}
