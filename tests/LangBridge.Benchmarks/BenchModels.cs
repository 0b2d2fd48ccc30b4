using LangBridge.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Benchmarks;

/// <summary>Models shared by benchmarks.</summary>
public static class BenchModels
{
    /// <summary>
    /// A ViT-S-like encoder of about 11.0M parameters (44 MB fp32): 224×224×3 image, patch 16 → 196 tokens of dim 384,
    /// 6 pre-norm blocks (6 heads, MLP ×4), final LayerNorm. Input (B, 3, 224, 224) → (B, 196, 384).
    /// </summary>
    public static Sequential Vit10M()
    {
        manual_seed(1);
        var blocks = Enumerable.Range(0, 6).Select(i => ($"block{i}", (nn.Module<Tensor, Tensor>)LayerFactory.VitBlock(384, 6))).ToList();
        var modules = new List<(string, nn.Module<Tensor, Tensor>)> { ("patch", LayerFactory.PatchEmbedding(3, 384, 16, 224, 224)) };
        modules.AddRange(blocks);
        modules.Add(("norm", nn.LayerNorm(384)));
        var m = nn.Sequential(modules);
        m.eval();
        return m;
    }

    public static long ParameterCount(nn.Module m) => m.parameters().Sum(p => p.numel());
    public static long WeightBytes(nn.Module m) =>
        m.parameters().Sum(p => p.numel() * p.element_size()) + m.buffers().Sum(b => b.numel() * b.element_size());
}
