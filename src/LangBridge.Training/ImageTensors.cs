using LangBridge.Data;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training;

/// <summary>Converts 8-bit datasets into the normalised float tensors the models take, and back.</summary>
public static class ImageTensors
{
    /// <summary>(N, C, H, W) float32, <c>(p/255 − mean)/std</c>; checks the dataset matches the recipe.</summary>
    public static Tensor Normalised(ImageDataset data, DataSection spec)
    {
        if (data.Channels != spec.Channels || data.Height != spec.ImageSize || data.Width != spec.ImageSize)
            throw new DataException(
                $"the dataset has {data.Channels}×{data.Height}×{data.Width} images; the recipe expects {spec.Channels}×{spec.ImageSize}×{spec.ImageSize} " +
                "(data.channels and data.imageSize)");
        using var scope = NewDisposeScope();
        var bytes = tensor(data.Pixels, dtype: ScalarType.Byte).view(data.Count, data.Channels, data.Height, data.Width);
        return bytes.to_type(ScalarType.Float32).div_(255f).sub_(spec.Mean).div_(spec.Std).MoveToOuterDisposeScope();
    }

    /// <summary>Back to [0, 1] pixel intensities (clamped).</summary>
    public static Tensor ToUnit(Tensor normalised, DataSection spec) =>
        normalised.mul(spec.Std).add(spec.Mean).clamp(0f, 1f);
}
