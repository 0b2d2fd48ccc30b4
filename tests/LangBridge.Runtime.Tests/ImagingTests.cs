using LangBridge.Imaging;
using LangBridge.Runtime.Tests.Fixtures;
using SkiaSharp;

namespace LangBridge.Runtime.Tests;

public sealed class ImagingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "langbridge-imaging-" + Guid.NewGuid().ToString("N"));

    public ImagingTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ImageSpec Gray(int size) => new() { Channels = 1, Height = size, Width = size, Mean = [0.5f], Std = [0.5f] };

    private static readonly ImageSpec Rgb4 = new()
    {
        Channels = 3, Height = 4, Width = 4, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
    };

    // A 4×4 opaque PNG whose pixel (x, y) has colour (16x + 3y, 200 − 40y, 13x·y).
    private static (byte R, byte G, byte B) Colour(int x, int y) => ((byte)((16 * x) + (3 * y)), (byte)(200 - (40 * y)), (byte)(13 * x * y));

    private string WritePng(int size, Func<int, int, (byte R, byte G, byte B)> colour)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var (r, g, b) = colour(x, y);
                bitmap.SetPixel(x, y, new SKColor(r, g, b));
            }
        }

        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".png");
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    [Fact]
    public void Grayscale_preprocessing_matches_hand_computed_luma_and_normalisation()
    {
        var path = WritePng(4, Colour);

        var normalised = new ImagePreprocessor(Gray(4)).LoadNormalized(path);

        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                var (r, g, b) = Colour(x, y);
                var luma = ((299 * r) + (587 * g) + (114 * b) + 500) / 1000;
                Assert.Equal(((luma / 255f) - 0.5f) / 0.5f, normalised[(y * 4) + x]);
            }
        }
    }

    [Fact]
    public void Rgb_preprocessing_gives_channel_planes_normalised_per_channel()
    {
        var path = WritePng(4, Colour);

        var normalised = new ImagePreprocessor(Rgb4).LoadNormalized(path);

        Assert.Equal(48, normalised.Length);
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                var (r, g, b) = Colour(x, y);
                var i = (y * 4) + x;
                Assert.Equal(((r / 255f) - 0.485f) / 0.229f, normalised[i]);
                Assert.Equal(((g / 255f) - 0.456f) / 0.224f, normalised[16 + i]);
                Assert.Equal(((b / 255f) - 0.406f) / 0.225f, normalised[32 + i]);
            }
        }
    }

    [Fact]
    public void Larger_images_are_resized_to_the_bundle_size()
    {
        var path = WritePng(16, (_, _) => (90, 90, 90));

        var pixels = new ImagePreprocessor(Gray(4)).Load(path);

        Assert.Equal((4, 4, 1), (pixels.Width, pixels.Height, pixels.Channels));
        Assert.All(pixels.Pixels.ToArray(), p => Assert.Equal(90, p)); // a flat image stays flat under bilinear scaling
    }

    [Fact]
    public void A_saved_png_loads_back_to_the_same_pixels()
    {
        var original = new PixelImage(4, 4, 1, Enumerable.Range(0, 16).Select(i => (byte)(i * 15)).ToArray());
        var path = Path.Combine(_dir, "out.png");

        ImagePreprocessor.SavePng(original, path);
        var loaded = new ImagePreprocessor(Gray(4)).Load(path);

        Assert.Equal(original.Pixels.ToArray(), loaded.Pixels.ToArray());
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp-*"));
    }

    [Fact]
    public void Undecodable_bytes_fail_naming_the_file()
    {
        var path = Path.Combine(_dir, "broken.png");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);

        var e = Assert.Throws<ImageDecodeException>(() => new ImagePreprocessor(Gray(4)).Load(path));

        Assert.Equal(path, e.ImageName);
        Assert.Contains("broken.png", e.Message);
    }

    [Fact]
    public void A_bad_file_in_a_batch_fails_with_its_typed_error_not_an_aggregate()
    {
        var good = WritePng(4, Colour);
        var missing = Path.Combine(_dir, "missing.png");

        var e = Assert.Throws<ImageDecodeException>(() => new ImagePreprocessor(Gray(4)).LoadBatchNormalized([good, missing, good]));

        Assert.Equal(missing, e.ImageName);
    }

    [Fact]
    public void Preprocessed_images_encode_like_hand_normalised_floats()
    {
        using var fixture = TestBundle.Create();
        using var tokenizer = ImageTokenizer.Open(fixture.Directory);
        var preprocessor = new ImagePreprocessor(tokenizer.Image);
        var paths = new[] { WritePng(4, Colour), WritePng(4, (x, y) => ((byte)(60 * y), (byte)(60 * x), 10)) };

        var fromPixels = tokenizer.Encode(paths.Select(preprocessor.Load).ToArray());
        var fromFloats = tokenizer.Encode(preprocessor.LoadBatchNormalized(paths), 2, 1, 4, 4);

        Assert.Equal(fromFloats.Select(t => t.Text), fromPixels.Select(t => t.Text));
    }

    [Fact]
    public void Normalise_then_denormalise_gives_back_every_byte_value()
    {
        foreach (var spec in new[] { Gray(16), new ImageSpec { Channels = 1, Height = 16, Width = 16, Mean = [0.1307f], Std = [0.3081f] } })
        {
            var pixels = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
            var normalised = new float[256];
            var back = new byte[256];

            ImageNormalizer.Normalize(new PixelImage(16, 16, 1, pixels), spec, normalised);
            ImageNormalizer.Denormalize(normalised, spec, back);

            Assert.Equal(pixels, back);
        }
    }

    [Fact]
    public void Denormalise_clamps_and_maps_nan_to_zero()
    {
        Assert.Equal(255, ImageNormalizer.ToPixel(5f, 0.5f, 0.5f));
        Assert.Equal(0, ImageNormalizer.ToPixel(-5f, 0.5f, 0.5f));
        Assert.Equal(0, ImageNormalizer.ToPixel(float.NaN, 0.5f, 0.5f));
        Assert.Equal(128, ImageNormalizer.ToPixel(0.00392157f, 0.5f, 0.5f)); // 127.5 + 0.5 → 128
    }
}
