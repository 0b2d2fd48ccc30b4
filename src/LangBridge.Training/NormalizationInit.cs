using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Training;

/// <summary>
/// TorchSharp 0.107's GroupNorm can come out of its constructor with uninitialised (NaN or garbage)
/// affine parameters. PyTorch initialises every normalisation layer to weight 1, bias 0; this does the
/// same for a whole model, so training starts from a defined state.
/// </summary>
public static class NormalizationInit
{
    public static void Reset(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var module in model.modules())
        {
            var (weight, bias) = module switch
            {
                GroupNorm g => (g.weight, g.bias),
                LayerNorm l => (l.weight, l.bias),
                BatchNorm2d b => (b.weight, b.bias),
                _ => (null, null),
            };
            weight?.fill_(1f);
            bias?.fill_(0f);
        }
    }
}
