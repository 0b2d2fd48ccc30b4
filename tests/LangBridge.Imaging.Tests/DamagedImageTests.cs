using LangBridge.Data;
using LangBridge.Imaging.Tests.Fixtures;
using LangBridge.Runtime;

namespace LangBridge.Imaging.Tests;

/// <summary>A damaged file must never become an image with made-up rows: both paths refuse it, naming it.</summary>
public sealed class DamagedImageTests
{
    private static readonly ImageSpec Gray8x8 = new() { Channels = 1, Height = 8, Width = 8, Mean = [0.5f], Std = [0.5f] };

    public static TheoryData<string> Damages => ["png-first-2000-bytes", "png-all-but-last-30-bytes", "png-half", "png-bad-idat", "jpeg-half"];

    private static byte[] Damaged(string kind)
    {
        var png = TestImages.Noise(64, 64);
        var jpeg = TestImages.Jpeg(64, 64);
        return kind switch
        {
            "png-first-2000-bytes" => png[..2000],
            "png-all-but-last-30-bytes" => png[..^30],
            "png-half" => png[..(png.Length / 2)],
            "png-bad-idat" => Corrupt(png),
            "jpeg-half" => jpeg[..(jpeg.Length / 2)],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    // Overwrites bytes in the middle of the compressed data: the chunk's CRC no longer matches.
    private static byte[] Corrupt(byte[] png)
    {
        var copy = png.ToArray();
        for (var i = copy.Length / 2; i < (copy.Length / 2) + 64; i++) copy[i] = 0xAB;
        return copy;
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void Serving_refuses_a_damaged_image(string kind)
    {
        using var dir = new TempDir();
        var path = dir.File(kind + (kind.StartsWith("jpeg") ? ".jpg" : ".png"));
        File.WriteAllBytes(path, Damaged(kind));

        var e = Assert.Throws<ImageDecodeException>(() => new ImagePreprocessor(Gray8x8).Load(path));

        Assert.Equal(path, e.ImageName);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void Training_refuses_a_damaged_image(string kind)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("good", "ok.png"), TestImages.Rgb8(8, 8));
        var path = dir.File("bad", kind + (kind.StartsWith("jpeg") ? ".jpg" : ".png"));
        File.WriteAllBytes(path, Damaged(kind));

        var e = Assert.Throws<ImageDecodeException>(() => ImageFolder.Load(dir.Path, new ImageFolderOptions { Width = 8, Height = 8 }));

        Assert.Equal(path, e.ImageName);
    }

    [Fact]
    public void The_intact_files_decode()
    {
        // The damaged files above are made from these: the refusals are about the damage, not the file kind.
        var preprocessor = new ImagePreprocessor(Gray8x8);
        Assert.Equal(64, preprocessor.Decode(TestImages.Noise(64, 64)).Pixels.Length);
        Assert.Equal(64, preprocessor.Decode(TestImages.Jpeg(64, 64)).Pixels.Length);
    }
}
