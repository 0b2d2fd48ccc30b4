using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Parity;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Models;

/// <summary>
/// A GPT-2-family causal language model (<see cref="GptConfig"/>) that reads input embeddings, so a bridge can
/// put image vectors in front of a prompt's token embeddings. Logits come from the tied token-embedding table.
/// Parameter names follow GPT-2's (<c>wte</c>, <c>wpe</c>, <c>h.{i}.…</c>, <c>ln_f</c>); <see cref="HfName"/>
/// gives the Hugging Face tensor for each.
/// </summary>
public sealed class GptModel : nn.Module, IOnnxExportable, IParityForward
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
        var (hidden, present) = Forward(embeddings, past, attentionMask);
        using var table = wte.weight!.t();
        using (hidden) return (hidden.matmul(table), present);                                // (B, S, V)
    }

    /// <summary>
    /// The last hidden states (B, S, D), after the final norm, of embeddings (B, S, D) read from position 0: the
    /// vectors the tied token table scores into logits, e.g. to encode a text.
    /// </summary>
    public Tensor Hidden(Tensor embeddings)
    {
        var (hidden, present) = Forward(embeddings, null, null);
        present.Dispose();
        return hidden;
    }

    private (Tensor Hidden, KeyValueCache Present) Forward(Tensor embeddings, KeyValueCache? past, Tensor? attentionMask)
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
        return (ln_f.call(x).MoveToOuterDisposeScope(), new KeyValueCache(present));         // (B, S, D)
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

    public const string EmbedsName = "inputs_embeds", AttentionMaskName = "attention_mask", LogitsName = "logits";
    public static OnnxDim SequenceDim { get; } = OnnxDim.Symbolic("sequence");
    public static OnnxDim PastDim { get; } = OnnxDim.Symbolic("past_sequence");
    public static OnnxDim TotalDim { get; } = OnnxDim.Symbolic("total_sequence");

    /// <summary>Input name of layer <paramref name="layer"/>'s cached keys or values (Optimum's names).</summary>
    public static string PastName(int layer, bool values) => $"past_key_values.{layer}.{(values ? "value" : "key")}";

    /// <summary>Output name of layer <paramref name="layer"/>'s keys or values after this step.</summary>
    public static string PresentName(int layer, bool values) => $"present.{layer}.{(values ? "value" : "key")}";

    /// <summary>
    /// The decoding graph: <c>inputs_embeds</c> (batch, sequence, D), <c>attention_mask</c> (batch, total_sequence)
    /// int64 and every layer's <c>past_key_values.{i}.key/value</c> (batch, H, past_sequence, dh; past_sequence may be
    /// 0) → <c>logits</c> (batch, sequence, V) and <c>present.{i}.key/value</c> (batch, H, total_sequence, dh), as
    /// <see cref="Step"/> computes them.
    /// </summary>
    public IReadOnlyList<OnnxInputSpec> OnnxInputs()
    {
        var specs = new List<OnnxInputSpec>
        {
            new(EmbedsName, OnnxElementType.Float, [OnnxDim.Batch, SequenceDim, Config.Width]),
            new(AttentionMaskName, OnnxElementType.Int64, [OnnxDim.Batch, TotalDim]),
        };
        for (int i = 0; i < Config.Layers; i++)
            foreach (var values in new[] { false, true })
                specs.Add(new(PastName(i, values), OnnxElementType.Float, [OnnxDim.Batch, Config.Heads, PastDim, Config.HeadSize]));
        return specs;
    }

    /// <summary>The output names of the decoding graph, in order.</summary>
    public IReadOnlyList<string> OnnxOutputs() =>
        [LogitsName, .. Enumerable.Range(0, Config.Layers).SelectMany(i => new[] { PresentName(i, false), PresentName(i, true) })];

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        if (inputs.Count != 2 + 2 * Config.Layers)
            throw new ArgumentException($"GptModel takes embeddings, an attention mask and {2 * Config.Layers} past tensors; {inputs.Count} inputs were given.");
        var b = c.Builder;
        var (x, attention) = (inputs[0], inputs[1]);                                             // (B, S, D), (B, T)
        OnnxValue maskAdd, positions;
        using (b.Scope("positions"))
        {
            var past = b.ShapeOf(inputs[2], 2, 3);                                                // [P]
            var total = b.Add(past, b.ShapeOf(x, 1, 2));                                          // [T]
            positions = b.Range(b.ToScalar(past), b.ToScalar(total), SequenceDim);                // (S): P .. T−1
            var keys = b.Range(b.AddInitializer("zero", [0L]), b.ToScalar(total), TotalDim);               // (T)
            var future = b.Greater(b.Unsqueeze(keys, 0), b.Unsqueeze(positions, 1));              // (S, T): key after query
            var causal = b.Mul(b.Cast(future, OnnxElementType.Float), b.AddScalar("mask_value", GptBlock.MaskValue));
            var padding = b.Mul(b.Sub(b.AddScalar("one", 1f), b.Cast(attention, OnnxElementType.Float)), b.AddScalar("pad_value", GptBlock.MaskValue));   // (B, T)
            maskAdd = b.Add(b.Unsqueeze(causal, 0, 1), b.Unsqueeze(padding, 1, 2));               // (B, 1, S, T)
        }
        x = b.Add(x, b.Gather(c.Weight(wpe.weight!, "wpe"), positions));                         // (B, S, D)
        var presents = new List<OnnxValue>();
        for (int i = 0; i < h.Count; i++)
        {
            var outs = c.Export(h[i], $"h.{i}", [x, maskAdd, inputs[2 + 2 * i], inputs[3 + 2 * i]]);
            x = outs[0];
            presents.Add(outs[1]);
            presents.Add(outs[2]);
        }
        using var scope = NewDisposeScope();
        var logits = b.MatMul(c.Export(ln_f, nameof(ln_f), x), c.Weight(wte.weight!.t().contiguous(), "wte_t"));   // (B, S, V)
        return [logits, .. presents];
    }

    /// <summary>The decoding graph's outputs computed by <see cref="Step"/>: inputs and outputs in <see cref="OnnxInputs"/>' and <see cref="OnnxOutputs"/>' order.</summary>
    public IReadOnlyList<Tensor> ParityForward(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != 2 + 2 * Config.Layers) throw new ArgumentException($"the decoding graph takes {2 + 2 * Config.Layers} inputs, {inputs.Count} were given.");
        var past = inputs[2].shape[2] == 0 ? null
            : new KeyValueCache(Enumerable.Range(0, Config.Layers).Select(i => (inputs[2 + 2 * i], inputs[3 + 2 * i])).ToArray());
        var (logits, present) = Step(inputs[0], past, inputs[1]);
        return [logits, .. present.Layers.SelectMany(l => new[] { l.Keys, l.Values })];
    }

    /// <summary>The decoding graph (see <see cref="OnnxInputs"/>).</summary>
    public OnnxExportResult ExportOnnx(int opset = OnnxOpset.Default) =>
        OnnxExporter.Export(this, OnnxInputs(), new OnnxExportOptions
        {
            Opset = opset, GraphName = "language_model", OutputNames = OnnxOutputs(),
            Metadata = new Dictionary<string, string> { ["kind"] = "gpt2", ["layers"] = Config.Layers.ToString(), ["width"] = Config.Width.ToString() },
        });

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
