using static TorchSharp.torch;

namespace LangBridge.Training.Tests;

public class ImageAugmentationTests
{
    [Fact]
    public void WithoutShiftScaleOrFlipTheViewIsTheImage()
    {
        var images = rand(4, 1, 8, 8, generator: new Generator(1)) * 2 - 1;
        var view = new ImageAugmentation(MaxShift: 0, MaxScale: 0, Flip: false).Apply(images, -1f, new Generator(2));
        Assert.True(view.allclose(images, atol: 1e-5));
    }

    [Fact]
    public void ViewsMoveTheContentAndFillWithBackground()
    {
        // A bright square in the middle of an empty (background −1) image.
        var images = full(16, 1, 12, 12, -1f);
        images.narrow(2, 4, 4).narrow(3, 4, 4).fill_(1f);
        var view = new ImageAugmentation(MaxShift: 2, MaxScale: 0.1, Flip: true).Apply(images, -1f, new Generator(7));
        Assert.Equal(images.shape, view.shape);
        // The border stays background (nothing reaches it), and the views differ from one another.
        Assert.True(view.select(3, 0).allclose(full(16, 1, 12, -1f), atol: 1e-5));
        Assert.False(view[0].allclose(view[1], atol: 1e-3) && view[1].allclose(view[2], atol: 1e-3));
        // Reproducible from the generator's seed.
        var again = new ImageAugmentation(MaxShift: 2, MaxScale: 0.1, Flip: true).Apply(images, -1f, new Generator(7));
        Assert.True(view.allclose(again));
    }
}
