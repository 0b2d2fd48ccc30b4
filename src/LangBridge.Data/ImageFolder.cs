using LangBridge.Imaging;

namespace LangBridge.Data;

/// <summary>How <see cref="ImageFolder.Load"/> shapes each image.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Target width in pixels (every image is resized to Width×Height, aspect ratio not kept). Default 28.</summary>
    public int Width { get; init; } = 28;

    /// <summary>Target height in pixels. Default 28.</summary>
    public int Height { get; init; } = 28;

    /// <summary>1 = grayscale (ITU-R BT.601 luma: 0.299 R + 0.587 G + 0.114 B), 3 = RGB. Default 1.</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Decoding limits (largest image size a header may claim); <see cref="ImageDecodeOptions.Default"/> by default.</summary>
    public ImageDecodeOptions Decoding { get; init; } = ImageDecodeOptions.Default;
}

/// <summary>
/// Bring-your-own images: a folder with one sub-folder per class (the sub-folder name is the class
/// name; classes are sorted ordinally), each holding PNG or JPEG files (.png, .jpg, .jpeg, any case).
/// Each image goes through LangBridge.Imaging's <see cref="ImageDecoder"/>, the decoder the runtime
/// uses too, so a served image reaches the model as the training images did; this class only lays the
/// pixels out as channel planes (NCHW).
/// </summary>
public static class ImageFolder
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Loads every image under <paramref name="root"/> into an <see cref="ImageDataset"/>.</summary>
    /// <exception cref="DataFormatException">The folder has no class sub-folders or no images.</exception>
    /// <exception cref="ImageDecodeException">An image cannot be decoded (the file is named).</exception>
    public static ImageDataset Load(string root, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (options.Channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(options), $"Channels must be 1 or 3, not {options.Channels}");
        if (options.Width <= 0 || options.Height <= 0) throw new ArgumentOutOfRangeException(nameof(options), $"size {options.Width}x{options.Height} must be positive");
        if (!Directory.Exists(root)) throw new DataFormatException(root, "a folder with one sub-folder per class", "no such folder");

        var classDirs = Directory.GetDirectories(root).OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0) throw new DataFormatException(root, "one sub-folder per class", "no sub-folders");
        var classNames = classDirs.Select(d => Path.GetFileName(d)!).ToArray();

        var files = new List<(string Path, int Label)>();
        for (int c = 0; c < classDirs.Length; c++)
            foreach (var f in Directory.GetFiles(classDirs[c]).Where(IsImage).OrderBy(f => f, StringComparer.Ordinal))
                files.Add((f, c));
        if (files.Count == 0) throw new DataFormatException(root, "PNG or JPEG files in the class sub-folders", "none");

        int imageSize = options.Channels * options.Height * options.Width;
        var pixels = new byte[(long)files.Count * imageSize];
        var labels = new int[files.Count];
        var decoder = Decoder(options);
        var failures = new System.Collections.Concurrent.ConcurrentBag<(int Index, Exception Error)>();
        Parallel.For(0, files.Count, i =>
        {
            try
            {
                ToPlanes(decoder.Load(files[i].Path), pixels.AsSpan(i * imageSize, imageSize));
                labels[i] = files[i].Label;
            }
            catch (Exception e)
            {
                failures.Add((i, e));
            }
        });
        // Report the first failing file in folder order, whatever thread hit it first.
        if (!failures.IsEmpty) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures.MinBy(f => f.Index).Error);
        return new ImageDataset(options.Channels, options.Height, options.Width, pixels, labels, classNames);
    }

    /// <summary>Decodes one image file, resizes it and writes CHW bytes into <paramref name="destination"/>.</summary>
    /// <exception cref="ImageDecodeException">The file is missing, truncated, corrupt, too large or not an image.</exception>
    public static void DecodeInto(string path, ImageFolderOptions options, Span<byte> destination) =>
        ToPlanes(Decoder(options).Load(path), destination);

    private static ImageDecoder Decoder(ImageFolderOptions options) =>
        new(options.Width, options.Height, options.Channels, options.Decoding);

    /// <summary>Interleaved H×W×C (the decoder's layout) to C×H×W (the dataset's).</summary>
    private static void ToPlanes(LangBridge.Runtime.PixelImage image, Span<byte> destination)
    {
        var pixels = image.Pixels.Span;
        int channels = image.Channels, plane = image.Width * image.Height;
        if (destination.Length != channels * plane)
            throw new ArgumentException($"destination holds {destination.Length} bytes, the image {channels * plane}", nameof(destination));
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < channels; c++)
                destination[c * plane + p] = pixels[p * channels + c];
    }

    private static bool IsImage(string path) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);
}
