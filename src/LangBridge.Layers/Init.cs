using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>Construction helpers for built-in modules that need explicit initialisation.</summary>
public static class Init
{
    /// <summary>
    /// nn.GroupNorm with weight = 1 and bias = 0. TorchSharp 0.107's GroupNorm leaves its affine
    /// parameters uninitialised (whatever the allocator returned), which can produce NaN outputs.
    /// </summary>
    public static GroupNorm GroupNorm(long groups, long channels, double eps = 1e-5)
    {
        var gn = nn.GroupNorm(groups, channels, eps);
        using var _ = no_grad();
        gn.weight?.fill_(1f);
        gn.bias?.zero_();
        return gn;
    }
}
