using System.Text.Json.Serialization;

namespace LangBridge.Runtime;

/// <summary>
/// The image a bundle's graphs consume and produce. Pixel bytes <c>p</c> in [0, 255] become
/// <c>(p / 255 − Mean[c]) / Std[c]</c> in <see cref="Layout"/> order; decoder outputs live in the
/// same normalised space. See <see cref="ImageNormalizer"/>.
/// </summary>
public sealed record ImageSpec
{
    /// <summary>Tensor layout of images; version 1 bundles use <c>NCHW</c>.</summary>
    public string Layout { get; init; } = "NCHW";

    /// <summary>Channel count: 1 (grayscale) or 3 (RGB).</summary>
    public required int Channels { get; init; }

    /// <summary>Image height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>Image width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Per-channel mean, in units of <c>p / 255</c>; one value per channel.</summary>
    public required IReadOnlyList<float> Mean { get; init; }

    /// <summary>Per-channel standard deviation, in units of <c>p / 255</c>; one positive value per channel.</summary>
    public required IReadOnlyList<float> Std { get; init; }

    /// <summary>Number of floats in one image: <c>Channels × Height × Width</c>.</summary>
    [JsonIgnore]
    public int ElementCount => Channels * Height * Width;

    /// <summary>Human-readable shape, e.g. <c>1×28×28 (C×H×W)</c>, used in error messages.</summary>
    public string Describe() => $"{Channels}×{Height}×{Width} (C×H×W)";
}
