using LangBridge.Imaging;
using SkiaSharp;

namespace LangBridge.Data.Tests;

public class ImageFolderTests
{
    private static void WriteImage(string path, int width, int height, SKColor color, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(color);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>Two classes: "cats" (2 red PNGs of different sizes), "boats" (1 blue PNG + 1 gray JPEG).</summary>
    private static TempDir MakeFolder()
    {
        var dir = new TempDir();
        WriteImage(dir.File("cats", "a.png"), 40, 30, new SKColor(255, 0, 0));
        WriteImage(dir.File("cats", "b.PNG"), 7, 9, new SKColor(255, 0, 0));
        WriteImage(dir.File("boats", "x.png"), 16, 16, new SKColor(0, 0, 255));
        WriteImage(dir.File("boats", "y.jpg"), 20, 10, new SKColor(128, 128, 128), SKEncodedImageFormat.Jpeg);
        File.WriteAllText(dir.File("boats", "notes.txt"), "not an image, ignored");
        return dir;
    }

    [Fact]
    public void Grayscale_images_are_resized_and_labelled_by_folder()
    {
        using var dir = MakeFolder();

        var data = ImageFolder.Load(dir.Path, new ImageFolderOptions { Width = 8, Height = 6, Channels = 1 });

        Assert.Equal(4, data.Count);
        Assert.Equal((1, 6, 8), (data.Channels, data.Height, data.Width));
        Assert.Equal(4 * 6 * 8, data.Pixels.Length);
        Assert.Equal(["boats", "cats"], data.ClassNames);        // ordinal order
        Assert.Equal([0, 0, 1, 1], data.Labels);                  // boats/x.png, boats/y.jpg, cats/a.png, cats/b.PNG
        // BT.601 luma: blue -> 0.114*255 = 29, red -> 0.299*255 = 76, gray 128 -> 128 (JPEG may shift it by a little).
        Assert.All(data.Image(0).ToArray(), p => Assert.Equal(29, p));
        Assert.All(data.Image(1).ToArray(), p => Assert.InRange(p, 124, 132));
        Assert.All(data.Image(2).ToArray(), p => Assert.Equal(76, p));
        Assert.All(data.Image(3).ToArray(), p => Assert.Equal(76, p));
    }

    [Fact]
    public void Rgb_images_are_stored_as_channel_planes()
    {
        using var dir = MakeFolder();

        var data = ImageFolder.Load(dir.Path, new ImageFolderOptions { Width = 5, Height = 7, Channels = 3 });

        Assert.Equal((3, 7, 5), (data.Channels, data.Height, data.Width));
        var red = data.Image(2).ToArray();                        // cats/a.png
        int plane = 5 * 7;
        Assert.All(red[..plane], p => Assert.Equal(255, p));
        Assert.All(red[plane..], p => Assert.Equal(0, p));
        var blue = data.Image(0).ToArray();                       // boats/x.png
        Assert.All(blue[..(2 * plane)], p => Assert.Equal(0, p));
        Assert.All(blue[(2 * plane)..], p => Assert.Equal(255, p));
    }

    [Fact]
    public void Resizing_keeps_a_gradient_ordered()
    {
        using var dir = new TempDir();
        var path = dir.File("ramp", "r.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var bitmap = new SKBitmap(new SKImageInfo(64, 4, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
        {
            for (int x = 0; x < 64; x++)
                for (int y = 0; y < 4; y++)
                    bitmap.SetPixel(x, y, new SKColor((byte)(x * 4), (byte)(x * 4), (byte)(x * 4)));
            using var image = SKImage.FromBitmap(bitmap);
            File.WriteAllBytes(path, image.Encode(SKEncodedImageFormat.Png, 100).ToArray());
        }

        var row = ImageFolder.Load(dir.Path, new ImageFolderOptions { Width = 8, Height = 1, Channels = 1 }).Image(0).ToArray();

        Assert.True(row.Zip(row.Skip(1)).All(p => p.First < p.Second), string.Join(",", row));
        Assert.InRange(row[0], 0, 40);
        Assert.InRange(row[7], 215, 255);
    }

    [Fact]
    public void A_corrupt_image_is_a_typed_error_naming_the_file()
    {
        using var dir = MakeFolder();
        var bad = dir.File("cats", "broken.png");
        File.WriteAllBytes(bad, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4, 5]);

        var e = Assert.Throws<ImageDecodeException>(() => ImageFolder.Load(dir.Path));
        Assert.Equal(bad, e.ImageName);
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void Empty_or_missing_folders_are_errors()
    {
        using var dir = new TempDir();
        Assert.Throws<DataFormatException>(() => ImageFolder.Load(dir.Path));              // no class folders
        Directory.CreateDirectory(dir.File("empty-class"));
        Assert.Throws<DataFormatException>(() => ImageFolder.Load(dir.Path));              // no images
        Assert.Throws<DataFormatException>(() => ImageFolder.Load(dir.File("nope")));      // no folder
    }
}
