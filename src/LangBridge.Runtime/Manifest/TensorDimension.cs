using System.Text.Json.Serialization;

namespace LangBridge.Runtime;

/// <summary>
/// One dimension of a <see cref="TensorSpec"/>: either a fixed size (a JSON number) or a symbolic
/// name (a JSON string: a lower-case identifier such as <c>batch</c>, <c>sequence</c> or
/// <c>past_sequence</c>; version 1 bundles allow only <c>"batch"</c>). Within one graph call every
/// occurrence of a name has the same size.
/// </summary>
[JsonConverter(typeof(TensorDimensionJsonConverter))]
public readonly record struct TensorDimension
{
    /// <summary>The batch dimension (the one symbolic dimension bundle format version 1 allows).</summary>
    public const string BatchSymbol = "batch";

    /// <summary>A sequence length (text tokens, positions fed in this call).</summary>
    public const string SequenceSymbol = "sequence";

    /// <summary>The length of a causal language model's key/value cache before this call.</summary>
    public const string PastSequenceSymbol = "past_sequence";

    private TensorDimension(long? size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or <c>null</c> for a symbolic dimension.</summary>
    public long? Size { get; }

    /// <summary>The symbolic name, or <c>null</c> for a fixed dimension.</summary>
    public string? Symbol { get; }

    /// <summary>The symbolic batch dimension.</summary>
    public static TensorDimension Batch { get; } = new(null, BatchSymbol);

    /// <summary>The symbolic sequence dimension.</summary>
    public static TensorDimension Sequence { get; } = new(null, SequenceSymbol);

    /// <summary>Whether this is a symbolic dimension.</summary>
    public bool IsSymbolic => Symbol is not null;

    /// <summary>A fixed dimension.</summary>
    public static TensorDimension Fixed(long size) => new(size, null);

    /// <summary>A symbolic dimension.</summary>
    public static TensorDimension Named(string symbol) => new(null, symbol ?? throw new ArgumentNullException(nameof(symbol)));

    /// <summary>Lets a size be written where a dimension is expected.</summary>
    public static implicit operator TensorDimension(long size) => Fixed(size);

    /// <summary>Lets a name be written where a dimension is expected.</summary>
    public static implicit operator TensorDimension(string symbol) => Named(symbol);

    /// <summary>Whether <paramref name="symbol"/> is a valid symbolic dimension name (<c>[a-z][a-z0-9_]*</c>).</summary>
    public static bool IsValidSymbol(string? symbol) => TensorMeaning.IsValid(symbol);

    /// <inheritdoc />
    public override string ToString() => Symbol ?? Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
}
