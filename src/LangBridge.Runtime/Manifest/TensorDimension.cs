using System.Text.Json.Serialization;

namespace LangBridge.Runtime;

/// <summary>
/// One dimension of a <see cref="TensorSpec"/>: either a fixed size (a JSON number) or a symbolic
/// name (a JSON string; version 1 allows only <c>"batch"</c>).
/// </summary>
[JsonConverter(typeof(TensorDimensionJsonConverter))]
public readonly record struct TensorDimension
{
    /// <summary>The one symbolic dimension bundle format version 1 allows.</summary>
    public const string BatchSymbol = "batch";

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

    /// <inheritdoc />
    public override string ToString() => Symbol ?? Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
}
