namespace LangBridge.Data;

/// <summary>Which part of a dataset.</summary>
public enum DataSplit
{
    /// <summary>The training split (Fashion-MNIST: 60,000 images).</summary>
    Train,
    /// <summary>The test split (Fashion-MNIST: 10,000 images).</summary>
    Test,
}

/// <summary>
/// Fashion-MNIST: 28×28 grayscale images in 10 classes, 60,000 for training and 10,000 for testing.
/// The cache (written by <c>langbridge data fetch</c>) holds the four IDX files uncompressed plus
/// <c>classes.txt</c> in <see cref="DataLayout.FashionMnistDir"/>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Image side in pixels.</summary>
    public const int ImageSide = 28;

    /// <summary>Images in the training split.</summary>
    public const int TrainCount = 60_000;

    /// <summary>Images in the test split.</summary>
    public const int TestCount = 10_000;

    /// <summary>
    /// Class names by label, as single lower-case English words (the official names are "T-shirt/top",
    /// "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot").
    /// "t-shirt" keeps its hyphen: GloVe has a vector for exactly that token, and the language codebook
    /// includes it (see <see cref="CodebookBuilder"/>).
    /// </summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"];

    /// <summary>The class-name file in the cache: one name per line, line i = label i.</summary>
    public const string ClassesFile = "classes.txt";

    /// <summary>Cached file name of the images of a split (uncompressed IDX).</summary>
    public static string ImagesFile(DataSplit split) => split == DataSplit.Train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";

    /// <summary>Cached file name of the labels of a split (uncompressed IDX).</summary>
    public static string LabelsFile(DataSplit split) => split == DataSplit.Train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";

    /// <summary>Expected image count of a split.</summary>
    public static int ExpectedCount(DataSplit split) => split == DataSplit.Train ? TrainCount : TestCount;

    /// <summary>Loads a split from the default cache (<see cref="DataLayout.Resolve"/>).</summary>
    public static ImageDataset Load(DataSplit split) => Load(DataLayout.Resolve(), split);

    /// <summary>Loads a split from the data root <paramref name="dataRoot"/> (e.g. <c>artifacts/data</c>).</summary>
    public static ImageDataset Load(string dataRoot, DataSplit split) => Load(new DataLayout(dataRoot), split);

    /// <summary>Loads a split from the cache of <paramref name="layout"/>.</summary>
    /// <exception cref="DataCacheException">The cache has not been fetched.</exception>
    /// <exception cref="IdxFormatException">A cached file is corrupt.</exception>
    public static ImageDataset Load(DataLayout layout, DataSplit split)
    {
        var dir = layout.FashionMnistDir;
        var images = Path.Combine(dir, ImagesFile(split));
        var labels = Path.Combine(dir, LabelsFile(split));
        foreach (var f in new[] { images, labels })
            if (!File.Exists(f)) throw new DataCacheException($"{f} is missing: run `langbridge data fetch` (or ./build.sh --target=Data) first");
        var classesPath = Path.Combine(dir, ClassesFile);
        var classes = File.Exists(classesPath) ? ReadClassNames(classesPath) : ClassNames;
        return ReadSplit(images, labels, classes, ExpectedCount(split));
    }

    /// <summary>
    /// Parses an images/labels IDX pair (raw or gzip) and checks it: images [N, 28, 28], labels [N],
    /// N equal to <paramref name="expectedCount"/> when given, every label a valid class.
    /// </summary>
    /// <exception cref="IdxFormatException">Any check fails; the message names the file.</exception>
    public static ImageDataset ReadSplit(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames = null, int? expectedCount = null)
    {
        classNames ??= ClassNames;
        var images = IdxReader.Read(imagesPath, expectedDimensions: 3);
        var labels = IdxReader.Read(labelsPath, expectedDimensions: 1);
        if (images.Shape[1] != ImageSide || images.Shape[2] != ImageSide)
            throw new IdxFormatException(imagesPath, $"{ImageSide}x{ImageSide} images", $"{images.Shape[1]}x{images.Shape[2]}");
        if (expectedCount is int want)
        {
            if (images.Shape[0] != want) throw new IdxFormatException(imagesPath, $"{want} images", $"{images.Shape[0]}");
            if (labels.Shape[0] != want) throw new IdxFormatException(labelsPath, $"{want} labels", $"{labels.Shape[0]}");
        }
        if (labels.Shape[0] != images.Shape[0])
            throw new IdxFormatException(labelsPath, $"{images.Shape[0]} labels (one per image in {Path.GetFileName(imagesPath)})", $"{labels.Shape[0]}");
        var ids = new int[labels.Data.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = labels.Data[i];
            if (ids[i] >= classNames.Count)
                throw new IdxFormatException(labelsPath, $"labels in [0, {classNames.Count - 1}]", $"label {ids[i]} at index {i}");
        }
        return new ImageDataset(1, ImageSide, ImageSide, images.Data, ids, classNames);
    }

    /// <summary>Reads a class-name file (one name per line) and checks there are ten.</summary>
    public static IReadOnlyList<string> ReadClassNames(string path)
    {
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != ClassNames.Count)
            throw new DataFormatException(path, $"{ClassNames.Count} class names, one per line", $"{names.Length}");
        return names;
    }
}
