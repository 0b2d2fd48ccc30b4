using LangBridge.Data;
using LangBridge.Imaging.Tests.Fixtures;
using LangBridge.Runtime;
using LangBridge.Training;
using LangBridge.Training.Recipes;

namespace LangBridge.Imaging.Tests;

/// <summary>
/// Training (image folder → bytes → the training code's normalised tensor) and serving
/// (<see cref="ImagePreprocessor"/>) must hand the model the very same floats, or the tokens a service
/// gets are not the ones the model was trained and verified on.
/// </summary>
public sealed class SharedPipelineTests
{
    private static ImageSpec Spec(int channels, int size, float mean, float std) => new()
    {
        Channels = channels, Height = size, Width = size,
        Mean = Enumerable.Repeat(mean, channels).ToArray(), Std = Enumerable.Repeat(std, channels).ToArray(),
    };

    [Theory]
    [InlineData(1, 28)]
    [InlineData(3, 28)]
    [InlineData(3, 9)]
    public void Training_and_serving_give_bit_identical_model_input(int channels, int size)
    {
        using var dir = new TempDir();
        var paths = new List<string>();
        foreach (var (name, bytes) in TestImages.All())
        {
            var path = dir.File("all", name);
            File.WriteAllBytes(path, bytes);
            paths.Add(path);
        }

        var training = ImageFolder.Load(dir.Path, new ImageFolderOptions { Width = size, Height = size, Channels = channels });
        using var tensor = ImageTensors.Normalised(training, new DataSection { ImageSize = size, Channels = channels, Mean = 0.1307f, Std = 0.3081f });
        var trainingFloats = tensor.data<float>().ToArray();
        var serving = new ImagePreprocessor(Spec(channels, size, 0.1307f, 0.3081f));

        var perImage = channels * size * size;
        Assert.Equal(paths.Count * perImage, trainingFloats.Length);
        for (var i = 0; i < paths.Count; i++)
        {
            var expected = trainingFloats.AsSpan(i * perImage, perImage).ToArray().Select(BitConverter.SingleToInt32Bits);
            var actual = serving.LoadNormalized(paths[i]).Select(BitConverter.SingleToInt32Bits);
            Assert.True(expected.SequenceEqual(actual), $"{Path.GetFileName(paths[i])}: training and serving floats differ");
        }
    }

    [Fact]
    public void Exif_orientation_is_applied_on_both_paths()
    {
        using var dir = new TempDir();
        var path = dir.File("photos", "rotated.jpg");
        File.WriteAllBytes(path, TestImages.RotatedJpeg());

        var training = ImageFolder.Load(dir.Path, new ImageFolderOptions { Width = 8, Height = 8, Channels = 3 }).Image(0).ToArray();
        var serving = new ImagePreprocessor(Spec(3, 8, 0f, 1f)).Load(path).Pixels.ToArray();

        // Upright, the red half is on top (rows 0–3) and the blue half below.
        const int plane = 64;
        for (var y = 0; y < 8; y++)
        {
            for (var x = 0; x < 8; x++)
            {
                var i = (y * 8) + x;
                var (red, blue) = (training[i], training[(2 * plane) + i]);
                var (servedRed, servedBlue) = (serving[3 * i], serving[(3 * i) + 2]);
                if (y < 3) Assert.True(red > 180 && blue < 80 && servedRed > 180 && servedBlue < 80, $"({x}, {y}) should be red");
                if (y > 4) Assert.True(blue > 180 && red < 80 && servedBlue > 180 && servedRed < 80, $"({x}, {y}) should be blue");
            }
        }
    }

    [Fact]
    public void Both_paths_fail_with_the_one_typed_decode_error()
    {
        using var dir = new TempDir();
        var path = dir.File("cats", "broken.png");
        File.WriteAllBytes(path, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4, 5]);

        var training = Record.Exception(() => ImageFolder.Load(dir.Path));
        var serving = Record.Exception(() => new ImagePreprocessor(Spec(1, 8, 0.5f, 0.5f)).Load(path));

        Assert.Equal(path, Assert.IsType<ImageDecodeException>(training).ImageName);
        Assert.Equal(path, Assert.IsType<ImageDecodeException>(serving).ImageName);
    }
}
