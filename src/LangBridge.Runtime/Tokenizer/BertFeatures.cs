using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace LangBridge.Runtime;

/// <summary>
/// What the bundle's frozen BERT reads in one image's words: its last hidden states and their mean over
/// the positions (every position attended, none masked), a sentence feature for probes and few-shot.
/// </summary>
/// <param name="Positions">N, the tokens per image.</param>
/// <param name="HiddenSize">D, the BERT's hidden size.</param>
/// <param name="HiddenStates">The last hidden states, <c>N × D</c> floats row-major (position by position).</param>
/// <param name="Pooled">The mean of <paramref name="HiddenStates"/> over the N positions, D floats.</param>
/// <remarks>Equality compares the contents of the arrays (not their identity).</remarks>
public sealed record BertFeatures(int Positions, int HiddenSize, ImmutableArray<float> HiddenStates, ImmutableArray<float> Pooled)
{
    /// <inheritdoc />
    public bool Equals(BertFeatures? other) =>
        other is not null && Positions == other.Positions && HiddenSize == other.HiddenSize &&
        HiddenStates.AsSpan().SequenceEqual(other.HiddenStates.AsSpan()) && Pooled.AsSpan().SequenceEqual(other.Pooled.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Positions, HiddenSize, Pooled.Length > 0 ? Pooled[0] : 0f);

    /// <summary>The mean over positions of hidden states (N, D) → (D).</summary>
    internal static BertFeatures FromHiddenStates(ReadOnlySpan<float> hidden, int positions, int hiddenSize)
    {
        var pooled = new float[hiddenSize];
        for (var n = 0; n < positions; n++)
        {
            var row = hidden.Slice(n * hiddenSize, hiddenSize);
            for (var d = 0; d < hiddenSize; d++)
            {
                pooled[d] += row[d];
            }
        }

        for (var d = 0; d < hiddenSize; d++)
        {
            pooled[d] /= positions;
        }

        return new BertFeatures(positions, hiddenSize, [.. hidden], ImmutableCollectionsMarshal.AsImmutableArray(pooled));
    }
}
