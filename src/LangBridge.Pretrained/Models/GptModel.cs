using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Models;

/// <summary>
/// A GPT-2-family causal language model (<see cref="GptConfig"/>) that reads input embeddings, so a bridge can
/// put image vectors in front of a prompt's token embeddings. Logits come from the tied token-embedding table.
/// Parameter names follow GPT-2's (<c>wte</c>, <c>wpe</c>, <c>h.{i}.…</c>, <c>ln_f</c>); <see cref="HfName"/>
/// gives the Hugging Face tensor for each.
/// </summary>
public sealed class GptModel : nn.Module
{
    private readonly Embedding wte, wpe;
    private readonly ModuleList<GptBlock> h;
    private readonly LayerNorm ln_f;
    private readonly Dropout drop;

    public GptModel(GptConfig config, string name = "GptModel") : base(name)
    {
        config.Validate("GptConfig");
        Config = config;
        wte = nn.Embedding(config.VocabSize, config.Width);
        wpe = nn.Embedding(config.ContextLength, config.Width);
        h = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new GptBlock(config)).ToArray());
        ln_f = nn.LayerNorm(config.Width, config.LayerNormEps);
        drop = nn.Dropout(config.Dropout);
        RegisterComponents();
        InitialiseWeights();
    }

    public GptConfig Config { get; }

    /// <summary>The token-embedding table (V, D), also the output layer.</summary>
    public Tensor TokenEmbeddings => wte.weight!;

    /// <summary>Token embeddings of ids (B, S) int64 → (B, S, D), without positions (the model adds those).</summary>
    public Tensor Embed(Tensor ids) => wte.call(ids);

    /// <summary>Logits (B, S, V) of input embeddings (B, S, D) read from position 0, every position a token.</summary>
    public Tensor Logits(Tensor embeddings)
    {
        using var scope = NewDisposeScope();
        var (logits, cache) = Step(embeddings, null);
        cache.Dispose();
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Reads embeddings (B, S, D) after the <paramref name="past"/> positions (none: from position 0) →
    /// (logits (B, S, V), the cache extended by these S positions). <paramref name="attentionMask"/> (B, P+S),
    /// 1 for a token and 0 for padding, hides padded keys; null: every position is a token.
    /// </summary>
    public (Tensor Logits, KeyValueCache Present) Step(Tensor embeddings, KeyValueCache? past, Tensor? attentionMask = null)
    {
        using var scope = NewDisposeScope();
        long s = embeddings.shape[1], p = past?.Length ?? 0, total = p + s;
        if (total > Config.ContextLength)
            throw new ArgumentException($"{total} positions exceed the model's context of {Config.ContextLength}.");
        var x = drop.call(embeddings + wpe.weight!.narrow(0, p, s));                        // (B, S, D)
        var mask = CausalMask(s, p, embeddings.device);                                      // (1, 1, S, P+S)
        if (attentionMask is not null)
        {
            if (attentionMask.shape[1] != total) throw new ArgumentException($"attention mask covers {attentionMask.shape[1]} positions, past + new are {total}.");
            mask = mask + attentionMask.to_type(ScalarType.Float32).neg().add(1f).mul(GptBlock.MaskValue).unsqueeze(1).unsqueeze(1);   // (B, 1, S, P+S)
        }
        var present = new List<(Tensor, Tensor)>(h.Count);
        for (int i = 0; i < h.Count; i++)
        {
            var (y, k, v) = h[i].Forward(x, mask, past?.Layers[i].Keys, past?.Layers[i].Values);
            x = y;
            present.Add((k.MoveToOuterDisposeScope(), v.MoveToOuterDisposeScope()));
        }
        var logits = ln_f.call(x).matmul(wte.weight!.t());                                  // (B, S, V)
        return (logits.MoveToOuterDisposeScope(), new KeyValueCache(present));
    }

    /// <summary>0 where query i (position P+i) may see key j (j ≤ P+i), <see cref="GptBlock.MaskValue"/> elsewhere: (1, 1, S, P+S).</summary>
    public static Tensor CausalMask(long s, long past, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var future = ones(s, past + s, dtype: ScalarType.Bool, device: device).triu(past + 1);
        return zeros(s, past + s, device: device).masked_fill(future, GptBlock.MaskValue).view(1, 1, s, past + s).MoveToOuterDisposeScope();
    }

    /// <summary>Mean next-token cross-entropy of ids (B, S) where <paramref name="weights"/> (B, S−1) says which targets count (null: all).</summary>
    public Tensor NextTokenLoss(Tensor ids, Tensor? weights = null)
    {
        using var scope = NewDisposeScope();
        long b = ids.shape[0], s = ids.shape[1];
        var logits = Logits(Embed(ids.narrow(1, 0, s - 1)));                                // (B, S−1, V)
        var targets = ids.narrow(1, 1, s - 1);                                               // (B, S−1)
        var nll = nn.functional.cross_entropy(logits.reshape(-1, Config.VocabSize), targets.reshape(-1), reduction: nn.Reduction.None).view(b, s - 1);
        var loss = weights is null ? nll.mean() : nll.mul(weights).sum().div(weights.sum().clamp_min(1f));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Hugging Face's name for one of our parameters (without the <c>transformer.</c> prefix), and whether its weight is stored transposed (GPT-2's Conv1D).</summary>
    public static (string Name, bool Transposed) HfName(string name)
    {
        var mapped = name.Replace("attn_c_proj", "attn.c_proj").Replace("mlp_c_proj", "mlp.c_proj")
            .Replace(".c_attn.", ".attn.c_attn.").Replace(".c_fc.", ".mlp.c_fc.");
        bool conv1d = mapped.EndsWith(".weight", StringComparison.Ordinal) && (mapped.Contains(".attn.c_", StringComparison.Ordinal) || mapped.Contains(".mlp.c_", StringComparison.Ordinal));
        return (mapped, conv1d);
    }

    /// <summary>Copies every parameter from <paramref name="lookup"/> (Hugging Face names; null when absent), strictly: a missing tensor or a wrong shape throws naming it.</summary>
    public void LoadHfTensors(Func<string, Tensor?> lookup, string source)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            var (hf, transposed) = HfName(name);
            using var scope = NewDisposeScope();
            var t = lookup(hf) ?? throw new PretrainedFormatException(source, hf, $"tensor is missing (needed for {name}, shape [{string.Join(", ", p.shape)}]).");
            if (transposed) t = t.t();
            if (!t.shape.SequenceEqual(p.shape))
                throw new PretrainedFormatException(source, hf, $"shape [{string.Join(", ", transposed ? t.t().shape : t.shape)}] does not fit [{string.Join(", ", transposed ? p.t().shape : p.shape)}].");
            p.copy_(t.to_type(ScalarType.Float32));
        }
    }

    /// <summary>Our parameters under Hugging Face names, Conv1D weights transposed back: what a GPT-2 <c>model.safetensors</c> holds.</summary>
    public IEnumerable<(string Name, Tensor Value)> HfTensors()
    {
        foreach (var (name, p) in named_parameters())
        {
            var (hf, transposed) = HfName(name);
            yield return (hf, transposed ? p.detach().t().contiguous() : p.detach());
        }
    }

    /// <summary>Sets every parameter's requires_grad off and switches to eval mode; returns this.</summary>
    public GptModel Frozen()
    {
        foreach (var p in parameters()) p.requires_grad_(false);
        IsFrozen = true;
        eval();
        return this;
    }

    /// <summary>Set by <see cref="Frozen"/>: a frozen LM stays in eval mode (no dropout) when a bridge around it trains.</summary>
    public bool IsFrozen { get; private set; }

    public override void train(bool on = true) => base.train(on && !IsFrozen);

    // GPT-2's initialisation: normal(0, 0.02) for matrices and tables, residual projections scaled by 1/√(2·layers).
    private void InitialiseWeights()
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.Contains("ln_", StringComparison.Ordinal)) continue;                     // LayerNorms keep (1, 0)
            if (name.EndsWith(".bias", StringComparison.Ordinal)) { p.zero_(); continue; }
            double std = name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? 0.02 / Math.Sqrt(2.0 * Config.Layers) : 0.02;
            nn.init.normal_(p, 0, std);
        }
    }
}
