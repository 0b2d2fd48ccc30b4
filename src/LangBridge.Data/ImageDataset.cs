namespace LangBridge.Data;

/// <summary>
/// A labelled image set held in memory: <see cref="Count"/> images of
/// <see cref="Channels"/>×<see cref="Height"/>×<see cref="Width"/> bytes (0–255), stored
/// contiguously in NCHW order (image-major, then channel plane, then row, then column).
/// Every source — Fashion-MNIST, MNIST, an image folder — produces this type.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Creates a dataset, checking that the pixel and label arrays fit the shape.</summary>
    /// <param name="channels">1 (grayscale) or 3 (RGB).</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="pixels">Count·Channels·Height·Width bytes, NCHW.</param>
    /// <param name="labels">One class index per image, in [0, classNames.Count).</param>
    /// <param name="classNames">Class names; label i names class classNames[i].</param>
    public ImageDataset(int channels, int height, int width, byte[] pixels, int[] labels, IReadOnlyList<string> classNames)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 or 3");
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"image size {height}x{width} must be positive");
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        long imageSize = (long)channels * height * width;
        if ((long)labels.Length * imageSize != pixels.LongLength)
            throw new ArgumentException($"{labels.Length} labels need {labels.Length * imageSize} pixel bytes, got {pixels.LongLength}", nameof(pixels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"label {labels[i]} of image {i} is outside [0, {classNames.Count})", nameof(labels));
        Channels = channels;
        Height = height;
        Width = width;
        Pixels = pixels;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Channels per image: 1 (grayscale) or 3 (RGB, in that order).</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Bytes per image: Channels·Height·Width.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>All pixels, NCHW, 0–255.</summary>
    public byte[] Pixels { get; }

    /// <summary>Class index of every image.</summary>
    public int[] Labels { get; }

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The pixels of image <paramref name="index"/> (CHW).</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        return Pixels.AsSpan(index * ImageSize, ImageSize);
    }

    /// <summary>Images [start, start+count) as a new dataset (copies the pixels).</summary>
    public ImageDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count) throw new ArgumentOutOfRangeException(nameof(count));
        return new ImageDataset(Channels, Height, Width,
            Pixels.AsSpan(start * ImageSize, count * ImageSize).ToArray(),
            Labels.AsSpan(start, count).ToArray(), ClassNames);
    }
}
