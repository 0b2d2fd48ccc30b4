using System.Collections.Immutable;

namespace LangBridge.Runtime;

/// <summary>An image produced by the decoder, in model space and as 8-bit pixels.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Channels">Channel count.</param>
/// <param name="Normalized">Decoder output, <c>C×H×W</c> floats in the manifest's normalised space.</param>
/// <param name="Pixels">8-bit pixels, interleaved <c>H×W×C</c>, denormalised and clamped (see <see cref="ImageNormalizer"/>).</param>
/// <remarks>Equality compares the contents of the arrays (not their identity).</remarks>
public sealed record DecodedImage(int Width, int Height, int Channels, ImmutableArray<float> Normalized, ImmutableArray<byte> Pixels)
{
    /// <summary>The pixels as a <see cref="PixelImage"/> (no copy), e.g. to encode again or save.</summary>
    public PixelImage ToPixelImage() => new(Width, Height, Channels, Pixels.AsMemory());

    /// <inheritdoc />
    public bool Equals(DecodedImage? other) =>
        other is not null && Width == other.Width && Height == other.Height && Channels == other.Channels &&
        Normalized.AsSpan().SequenceEqual(other.Normalized.AsSpan()) && Pixels.AsSpan().SequenceEqual(other.Pixels.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Width, Height, Channels, Pixels.Length > 0 ? Pixels[0] : 0);
}
