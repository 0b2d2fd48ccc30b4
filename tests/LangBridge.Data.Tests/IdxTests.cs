using System.IO.Compression;

namespace LangBridge.Data.Tests;

public class IdxTests
{
    private static byte[] Idx(int[] shape, byte[] data, bool gzip = false)
    {
        using var ms = new MemoryStream();
        IdxReader.Write(ms, shape, data, gzip);
        return ms.ToArray();
    }

    private static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 % 251)).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_raw_and_gzip_files(bool gzip)
    {
        using var dir = new TempDir();
        var data = Pattern(3 * 4 * 5);
        var path = dir.File("x-idx3-ubyte");
        File.WriteAllBytes(path, Idx([3, 4, 5], data, gzip));

        var array = IdxReader.Read(path, expectedDimensions: 3);

        Assert.Equal([3, 4, 5], array.Shape);
        Assert.Equal(data, array.Data);
    }

    [Fact]
    public void Header_bytes_follow_the_idx_layout()
    {
        var bytes = Idx([2, 3], Pattern(6));
        Assert.Equal(new byte[] { 0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3 }, bytes[..12]);
        Assert.Equal(12 + 6, bytes.Length);
    }

    [Fact]
    public void Wrong_magic_is_a_typed_error_naming_the_file()
    {
        using var dir = new TempDir();
        var bytes = Idx([2, 2], Pattern(4));
        bytes[0] = 0x12;
        var path = dir.File("bad-magic");
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("magic", e.Expected);
        Assert.Contains("0x12000802", e.Found);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Wrong_data_type_is_rejected()
    {
        using var dir = new TempDir();
        var bytes = Idx([4], Pattern(4));
        bytes[2] = 0x0D; // float
        var path = dir.File("float-idx");
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path));
        Assert.Contains("0x0D", e.Found);
    }

    [Fact]
    public void Wrong_dimension_count_is_rejected()
    {
        using var dir = new TempDir();
        var path = dir.File("labels-as-images");
        File.WriteAllBytes(path, Idx([10], Pattern(10)));

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path, expectedDimensions: 3));
        Assert.Contains("3 dimension", e.Expected);
        Assert.Contains("1 dimension", e.Found);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_data_is_rejected(bool gzip)
    {
        using var dir = new TempDir();
        var full = Idx([10, 4, 4], Pattern(160));
        var cut = full[..(full.Length - 9)];
        var path = dir.File("truncated");
        if (gzip)
        {
            using var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(cut);
            File.WriteAllBytes(path, ms.ToArray());
        }
        else File.WriteAllBytes(path, cut);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path));
        Assert.Contains("160 data bytes", e.Expected);
        Assert.Contains("151", e.Found);
    }

    [Fact]
    public void Truncated_header_is_rejected()
    {
        using var dir = new TempDir();
        var path = dir.File("short-header");
        File.WriteAllBytes(path, Idx([10, 4, 4], Pattern(160))[..9]);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path));
        Assert.Contains("truncated header", e.Found);
    }

    [Fact]
    public void Truncated_gzip_stream_is_rejected()
    {
        using var dir = new TempDir();
        var gz = Idx([50, 28, 28], Pattern(50 * 784), gzip: true);
        var path = dir.File("cut.gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);

        Assert.Throws<IdxFormatException>(() => IdxReader.Read(path));
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        using var dir = new TempDir();
        var path = dir.File("trailing");
        File.WriteAllBytes(path, [.. Idx([3], Pattern(3)), 0xFF]);

        var e = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path));
        Assert.Contains("trailing", e.Found);
    }

    private static (string Images, string Labels) WriteSplit(TempDir dir, int images, int labels, int side = 28, byte maxLabel = 9, bool gzip = true)
    {
        var imagesPath = dir.File("images-idx3-ubyte" + (gzip ? ".gz" : ""));
        var labelsPath = dir.File("labels-idx1-ubyte" + (gzip ? ".gz" : ""));
        File.WriteAllBytes(imagesPath, Idx([images, side, side], Pattern(images * side * side), gzip));
        File.WriteAllBytes(labelsPath, Idx([labels], Enumerable.Range(0, labels).Select(i => (byte)(i % (maxLabel + 1))).ToArray(), gzip));
        return (imagesPath, labelsPath);
    }

    [Fact]
    public void Fashion_split_parses_images_labels_and_class_names()
    {
        using var dir = new TempDir();
        var (images, labels) = WriteSplit(dir, 12, 12);

        var data = FashionMnist.ReadSplit(images, labels, expectedCount: 12);

        Assert.Equal(12, data.Count);
        Assert.Equal((1, 28, 28), (data.Channels, data.Height, data.Width));
        Assert.Equal(Pattern(12 * 784), data.Pixels);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i % 10), data.Labels);
        Assert.Equal("t-shirt", data.ClassNames[data.Labels[0]]);
        Assert.Equal("boot", data.ClassNames[data.Labels[9]]);
        Assert.Equal(Pattern(12 * 784).AsSpan(784 * 3, 784).ToArray(), data.Image(3).ToArray());
    }

    [Fact]
    public void Fashion_split_with_wrong_count_is_rejected()
    {
        using var dir = new TempDir();
        var (images, labels) = WriteSplit(dir, 12, 12);

        var e = Assert.Throws<IdxFormatException>(() => FashionMnist.ReadSplit(images, labels, expectedCount: 60_000));
        Assert.Equal(images, e.FilePath);
        Assert.Contains("60000 images", e.Expected);
        Assert.Equal("12", e.Found);
    }

    [Fact]
    public void Fashion_split_with_label_count_mismatch_is_rejected()
    {
        using var dir = new TempDir();
        var (images, labels) = WriteSplit(dir, 12, 11);

        var e = Assert.Throws<IdxFormatException>(() => FashionMnist.ReadSplit(images, labels));
        Assert.Equal(labels, e.FilePath);
        Assert.Contains("12 labels", e.Expected);
    }

    [Fact]
    public void Fashion_split_with_wrong_image_size_or_label_is_rejected()
    {
        using var dir = new TempDir();
        var (images, labels) = WriteSplit(dir, 4, 4, side: 32);
        Assert.Contains("28x28", Assert.Throws<IdxFormatException>(() => FashionMnist.ReadSplit(images, labels)).Expected);

        using var dir2 = new TempDir();
        (images, labels) = WriteSplit(dir2, 12, 12, maxLabel: 11);
        var e = Assert.Throws<IdxFormatException>(() => FashionMnist.ReadSplit(images, labels));
        Assert.Contains("label 10", e.Found);
    }
}
