using LangBridge.Data;
using LangBridge.Imaging.Tests.Fixtures;
using LangBridge.Runtime;

namespace LangBridge.Imaging.Tests;

/// <summary>A header's claimed size is checked against the pixel limit before anything is allocated.</summary>
public sealed class ImageLimitTests
{
    private static readonly ImageSpec Gray8x8 = new() { Channels = 1, Height = 8, Width = 8, Mean = [0.5f], Std = [0.5f] };

    [Fact]
    public void A_tiny_png_claiming_30000_by_30000_pixels_is_refused_naming_size_and_limit()
    {
        var bomb = PngWriter.Bomb(30_000, 30_000);
        Assert.True(bomb.Length < 100, $"{bomb.Length} bytes");

        var e = Assert.Throws<ImageTooLargeException>(() => new ImagePreprocessor(Gray8x8).Decode(bomb, "bomb.png"));

        Assert.Equal((30_000, 30_000, ImageDecodeOptions.DefaultMaxPixels), (e.Width, e.Height, e.MaxPixels));
        Assert.Contains("30,000×30,000", e.Message);
        Assert.Contains("64,000,000", e.Message);
        Assert.Contains("bomb.png", e.Message);
    }

    [Fact]
    public void The_limit_is_an_option_and_an_image_at_the_limit_decodes()
    {
        var png = TestImages.Rgb8(100, 50); // 5,000 pixels

        var atLimit = new ImagePreprocessor(Gray8x8, new ImageDecodeOptions { MaxPixels = 5_000 }).Decode(png);
        var e = Assert.Throws<ImageTooLargeException>(() => new ImagePreprocessor(Gray8x8, new ImageDecodeOptions { MaxPixels = 4_999 }).Decode(png));

        Assert.Equal(64, atLimit.Pixels.Length);
        Assert.Equal(4_999, e.MaxPixels);
        Assert.IsAssignableFrom<ImageDecodeException>(e); // callers that catch decode errors catch this too
    }

    [Fact]
    public void Image_folders_apply_the_same_limit()
    {
        using var dir = new TempDir();
        var path = dir.File("c", "bomb.png");
        File.WriteAllBytes(path, PngWriter.Bomb(30_000, 30_000));

        var e = Assert.Throws<ImageTooLargeException>(() => ImageFolder.Load(dir.Path));

        Assert.Equal(path, e.ImageName);
    }

    [Fact]
    public void A_non_positive_limit_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageDecodeOptions { MaxPixels = 0 });
    }
}
