namespace LangBridge.Runtime;

/// <summary>
/// How a language model's next token is chosen: greedily (<see cref="Temperature"/> 0) or by sampling from the
/// softmax at <see cref="Temperature"/> restricted to the smallest set of tokens whose probability reaches
/// <see cref="TopP"/> (nucleus sampling), seeded so the same call gives the same text. LiMBeR decodes at
/// temperature 0.7 and top-p 0.9.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding: always the most probable token.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>LiMBeR's sampling: temperature 0.7, top-p 0.9.</summary>
    public static SamplingOptions Nucleus(int seed = 0) => new() { Temperature = 0.7f, TopP = 0.9f, Seed = seed };

    /// <summary>0: greedy; otherwise the softmax temperature (positive).</summary>
    public float Temperature { get; init; }

    /// <summary>Cumulative probability of the tokens sampled among, in (0, 1].</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Seed of the sampler's random numbers.</summary>
    public int Seed { get; init; }

    /// <summary>Most new tokens generated (LiMBeR: 100).</summary>
    public int MaxTokens { get; init; } = 32;

    /// <summary>Stop at the end-of-text token (default). Off, generation always runs to <see cref="MaxTokens"/> (benchmarks time a fixed length so).</summary>
    public bool StopAtEndOfText { get; init; } = true;

    /// <summary>Fails naming the first impossible value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "must be 0 (greedy) or positive");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "must be in (0, 1]");
        if (MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "must be at least 1");
    }
}
