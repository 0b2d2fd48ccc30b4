using static TorchSharp.torch;

namespace LangBridge.Pretrained.Models;

/// <summary>
/// The keys and values a causal LM's layers computed for the positions read so far, one pair per layer,
/// each (B, H, P, dh): the next step attends to them instead of recomputing the prefix. Owns its tensors.
/// </summary>
public sealed class KeyValueCache : IDisposable
{
    public KeyValueCache(IReadOnlyList<(Tensor Keys, Tensor Values)> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("a cache has one entry per layer", nameof(layers));
        Layers = layers;
    }

    public IReadOnlyList<(Tensor Keys, Tensor Values)> Layers { get; }

    /// <summary>Positions cached (P).</summary>
    public long Length => Layers[0].Keys.shape[2];

    /// <summary>Moves every tensor to the caller's outer dispose scope (for a cache made inside a scope).</summary>
    public KeyValueCache MoveToOuterDisposeScope()
    {
        foreach (var (k, v) in Layers) { k.MoveToOuterDisposeScope(); v.MoveToOuterDisposeScope(); }
        return this;
    }

    public void Dispose()
    {
        foreach (var (k, v) in Layers) { k.Dispose(); v.Dispose(); }
    }
}
