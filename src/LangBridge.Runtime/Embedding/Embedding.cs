using System.Collections.Immutable;

namespace LangBridge.Runtime;

/// <summary>
/// A unit-length embedding of one image or text (<see cref="ImageEmbedder"/>, <see cref="TextEmbedder"/>):
/// the dot product of two is their cosine similarity.
/// </summary>
public sealed class Embedding
{
    /// <summary>Wraps a unit vector.</summary>
    /// <param name="vector">The unit vector (<see cref="Dimension"/> floats).</param>
    /// <param name="truncated">For text: whether the input was cut to fit; false for images.</param>
    public Embedding(ImmutableArray<float> vector, bool truncated = false)
    {
        Vector = vector;
        Truncated = truncated;
    }

    /// <summary>The unit vector (<see cref="Dimension"/> floats).</summary>
    public ImmutableArray<float> Vector { get; }

    /// <summary>For text: whether the input was cut to fit (the encoder's maximum length, or the canvas); false for images.</summary>
    public bool Truncated { get; }

    /// <summary>Number of components.</summary>
    public int Dimension => Vector.Length;

    /// <summary>Cosine similarity with <paramref name="other"/> (both are unit vectors, so their dot product).</summary>
    /// <exception cref="ArgumentException">The dimensions differ.</exception>
    public float Similarity(Embedding other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Dot(Vector.AsSpan(), other.Vector.AsSpan());
    }

    /// <summary>The dot product of two vectors of one length.</summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Embeddings of {a.Length} and {b.Length} dimensions cannot be compared.");
        float sum = 0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>Scales <paramref name="vector"/> to unit length in place (a zero vector stays zero, as torch's normalize with ε 1e-12).</summary>
    internal static void Normalize(Span<float> vector)
    {
        double squares = 0;
        foreach (var x in vector) squares += (double)x * x;
        var norm = Math.Max(Math.Sqrt(squares), 1e-12);
        for (var i = 0; i < vector.Length; i++) vector[i] = (float)(vector[i] / norm);
    }
}
