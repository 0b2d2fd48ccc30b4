using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Models;

/// <summary>Shape of a BERT-family encoder (post-norm, absolute positions, exact erf GELU).</summary>
public sealed record BertConfig
{
    public int VocabSize { get; init; } = 30522;
    public int HiddenSize { get; init; } = 384;
    public int Layers { get; init; } = 6;
    public int Heads { get; init; } = 12;
    public int IntermediateSize { get; init; } = 1536;
    public int MaxPositions { get; init; } = 512;
    public int TypeVocabSize { get; init; } = 2;
    public double LayerNormEps { get; init; } = 1e-12;
    /// <summary>Added to the attention scores of padded keys, as (1 − m)·MaskValue (BERT's −10000).</summary>
    public float MaskValue { get; init; } = -10000f;
    /// <summary>Whether the encoder carries BERT's pooler (dense + tanh on the [CLS] state).</summary>
    public bool HasPooler { get; init; } = true;

    /// <summary>all-MiniLM-L6-v2: 6 layers, hidden 384, 12 heads, FFN 1,536.</summary>
    public static BertConfig MiniLmL6 { get; } = new();

    public int HeadSize => HiddenSize / Heads;

    /// <summary>Fails naming the first impossible value.</summary>
    public void Validate(string source)
    {
        void Positive(string key, int v) { if (v <= 0) throw new PretrainedFormatException(source, key, $"must be positive, got {v}."); }
        Positive("vocab_size", VocabSize); Positive("hidden_size", HiddenSize); Positive("num_hidden_layers", Layers);
        Positive("num_attention_heads", Heads); Positive("intermediate_size", IntermediateSize);
        Positive("max_position_embeddings", MaxPositions); Positive("type_vocab_size", TypeVocabSize);
        if (HiddenSize % Heads != 0)
            throw new PretrainedFormatException(source, "num_attention_heads", $"{Heads} heads do not divide hidden_size {HiddenSize}.");
        if (!(LayerNormEps > 0)) throw new PretrainedFormatException(source, "layer_norm_eps", $"must be positive, got {LayerNormEps}.");
    }
}

/// <summary>One post-norm transformer layer: x + attn → LN → x + FFN(GELU) → LN.</summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>, IOnnxExportable
{
    private readonly int _heads, _headSize;
    private readonly Linear query, key, value, attention_output, intermediate, output;
    private readonly LayerNorm attention_norm, output_norm;
    private readonly GELU gelu;

    public BertLayer(BertConfig cfg, string name = "BertLayer") : base(name)
    {
        _heads = cfg.Heads; _headSize = cfg.HeadSize;
        int d = cfg.HiddenSize;
        query = nn.Linear(d, d); key = nn.Linear(d, d); value = nn.Linear(d, d);
        attention_output = nn.Linear(d, d);
        attention_norm = nn.LayerNorm(d, cfg.LayerNormEps);
        intermediate = nn.Linear(d, cfg.IntermediateSize);
        gelu = nn.GELU();                                                      // exact erf form, as BERT
        output = nn.Linear(cfg.IntermediateSize, d);
        output_norm = nn.LayerNorm(d, cfg.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>x (B, S, D), additive mask (B, 1, 1, S) → (B, S, D).</summary>
    public override Tensor forward(Tensor x, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], s = x.shape[1], d = x.shape[2];
        Tensor Heads(Tensor t) => t.view(b, s, _heads, _headSize).transpose(1, 2);   // (B, H, S, dh)
        var q = Heads(query.call(x));
        var k = Heads(key.call(x));
        var v = Heads(value.call(x));
        // Divide (not multiply by the reciprocal) as the original graph does, so rounding matches.
        var scores = q.matmul(k.transpose(-1, -2)).div(MathF.Sqrt(_headSize)).add(additiveMask);  // (B, H, S, S)
        var ctx = scores.softmax(-1).matmul(v).transpose(1, 2).reshape(b, s, d);               // (B, S, D)
        var h = attention_norm.call(attention_output.call(ctx).add(x));
        var y = output_norm.call(output.call(gelu.call(intermediate.call(h))).add(h));
        return y.MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var bld = c.Builder;
        var (x, mask) = (inputs[0], inputs[1]);                                  // (B, S, D), (B, 1, 1, S)
        long d = x.Dim(2);
        OnnxValue Heads(OnnxValue t, long[] perm) => bld.Transpose(bld.Reshape(t, 0, 0, _heads, _headSize), perm);
        var q = Heads(c.Export(query, "query", x), [0, 2, 1, 3]);               // (B, H, S, dh)
        var kT = Heads(c.Export(key, "key", x), [0, 2, 3, 1]);                  // (B, H, dh, S)
        var v = Heads(c.Export(value, "value", x), [0, 2, 1, 3]);               // (B, H, S, dh)
        var scores = bld.Add(bld.Div(bld.MatMul(q, kT), c.Scalar("head_scale", MathF.Sqrt(_headSize))), mask);  // (B, H, S, S)
        var ctx = bld.Reshape(bld.Transpose(bld.MatMul(bld.Softmax(scores, -1), v), 0, 2, 1, 3), 0, 0, d);    // (B, S, D)
        var h = c.Export(attention_norm, "attention_norm", bld.Add(c.Export(attention_output, "attention_output", ctx), x));
        var f = c.Export(output, "output", c.Export(gelu, "gelu", c.Export(intermediate, "intermediate", h)));
        return [c.Export(output_norm, "output_norm", bld.Add(f, h))];
    }
}

/// <summary>
/// A BERT-family text encoder of our own: word + absolute position + token-type (0) embeddings,
/// LayerNorm, post-norm layers with exact GELU and an optional padding mask; input ids (B, S) and
/// mask (B, S, 1 = token) → hidden states (B, S, D). Weights come from <see cref="Import.MiniLmImporter"/>
/// or <see cref="Import.HuggingFaceBert"/>; parameter names follow Hugging Face's (see <see cref="HfName"/>).
/// </summary>
public sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor>, IOnnxExportable
{
    private readonly Embedding word_embeddings, position_embeddings, token_type_embeddings;
    private readonly LayerNorm embeddings_norm;
    private readonly ModuleList<BertLayer> layers;
    private readonly Linear? pooler;

    public BertEncoder(BertConfig config, string name = "BertEncoder") : base(name)
    {
        config.Validate("BertConfig");
        Config = config;
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize);
        position_embeddings = nn.Embedding(config.MaxPositions, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        embeddings_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        layers = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(i => new BertLayer(config)).ToArray());
        if (config.HasPooler) pooler = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    public BertConfig Config { get; }
    public int HiddenSize => Config.HiddenSize;

    /// <summary>The word-embedding table (V, D), not a copy.</summary>
    public Tensor WordEmbeddings => word_embeddings.weight!;

    /// <summary>Graph input and output names of <see cref="ExportOnnx(int)"/>.</summary>
    public const string InputIdsName = "input_ids", AttentionMaskName = "attention_mask", HiddenStatesName = "hidden_states";

    /// <summary>ids (B, S) int64, mask (B, S) int64 or float (1 = token, 0 = padding) → (B, S, D).</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        long s = inputIds.shape[1];
        if (s > Config.MaxPositions) throw new ArgumentException($"Sequence of {s} tokens is longer than the {Config.MaxPositions} positions the model has.");
        var x = word_embeddings.call(inputIds)                                        // (B, S, D)
            .add(token_type_embeddings.weight![0])                                    // token type 0 everywhere
            .add(position_embeddings.weight!.narrow(0, 0, s));                       // (S, D) broadcast
        x = embeddings_norm.call(x);
        var ext = AdditiveMask(attentionMask);                                        // (B, 1, 1, S)
        foreach (var layer in layers) x = layer.call(x, ext);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Hidden states (B, S, D) of ids (B, S); without a mask every position is a token.</summary>
    public Tensor Encode(Tensor inputIds, Tensor? attentionMask = null)
    {
        if (attentionMask is not null) return call(inputIds, attentionMask);
        using var ones = torch.ones_like(inputIds);
        return call(inputIds, ones);
    }

    /// <summary>(1 − m)·MaskValue, broadcast over heads and queries: (B, S) → (B, 1, 1, S).</summary>
    public Tensor AdditiveMask(Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var m = attentionMask.to_type(ScalarType.Float32).unsqueeze(1).unsqueeze(1);
        return m.neg().add(1f).mul(Config.MaskValue).MoveToOuterDisposeScope();
    }

    /// <summary>BERT's pooled output: tanh(W·h[CLS] + b), (B, S, D) → (B, D). Throws when the encoder has no pooler.</summary>
    public Tensor Pool(Tensor hiddenStates)
    {
        if (pooler is null) throw new InvalidOperationException("This encoder has no pooler.");
        using var scope = NewDisposeScope();
        return pooler.call(hiddenStates.select(1, 0)).tanh().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sentence embedding the way sentence-transformers trained MiniLM: the mean of the hidden
    /// states over the mask's tokens, L2-normalised. (B, S, D), (B, S) → (B, D).
    /// </summary>
    public static Tensor SentenceEmbedding(Tensor hiddenStates, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var m = attentionMask.to_type(ScalarType.Float32).unsqueeze(-1);             // (B, S, 1)
        var sum = hiddenStates.mul(m).sum(1);                                        // (B, D)
        var count = m.sum(1).clamp_min(1e-9);                                        // (B, 1)
        return nn.functional.normalize(sum.div(count), p: 2, dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>Sets every parameter's requires_grad off and switches to eval mode; returns this.</summary>
    public BertEncoder Frozen()
    {
        foreach (var p in parameters()) p.requires_grad_(false);
        IsFrozen = true;
        eval();
        return this;
    }

    /// <summary>Set by <see cref="Frozen"/>: the module then stays in eval mode when a model that contains it is put in training mode.</summary>
    public bool IsFrozen { get; private set; }

    /// <summary>A frozen module ignores train(true): its parent's train() must not switch it to batch statistics or dropout.</summary>
    public override void train(bool on = true) => base.train(on && !IsFrozen);

    /// <summary>The Hugging Face name of one of our parameters (e.g. "layers.3.query.weight" → "encoder.layer.3.attention.self.query.weight").</summary>
    public static string HfName(string ours)
    {
        var parts = ours.Split('.');
        if (parts[0] == "layers")
        {
            string leaf = parts[^1], layer = $"encoder.layer.{parts[1]}.";
            return parts[2] switch
            {
                "query" or "key" or "value" => layer + $"attention.self.{parts[2]}.{leaf}",
                "attention_output" => layer + $"attention.output.dense.{leaf}",
                "attention_norm" => layer + $"attention.output.LayerNorm.{leaf}",
                "intermediate" => layer + $"intermediate.dense.{leaf}",
                "output" => layer + $"output.dense.{leaf}",
                "output_norm" => layer + $"output.LayerNorm.{leaf}",
                _ => throw new ArgumentException($"Unknown parameter '{ours}'."),
            };
        }
        return parts[0] switch
        {
            "word_embeddings" or "position_embeddings" or "token_type_embeddings" => $"embeddings.{ours}",
            "embeddings_norm" => $"embeddings.LayerNorm.{parts[^1]}",
            "pooler" => $"pooler.dense.{parts[^1]}",
            _ => throw new ArgumentException($"Unknown parameter '{ours}'."),
        };
    }

    /// <summary>
    /// Copies tensors named and shaped as in Hugging Face's BertModel (Linear weights (out, in)) into
    /// the parameters. Strict: a missing tensor or a wrong shape throws naming it.
    /// </summary>
    public void LoadHfTensors(Func<string, Tensor?> lookup, string source)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            var hf = HfName(name);
            using var scope = NewDisposeScope();
            var t = lookup(hf) ?? throw new PretrainedFormatException(source, hf, $"tensor is missing (needed for {name}, shape [{string.Join(", ", p.shape)}]).");
            if (!t.shape.SequenceEqual(p.shape))
                throw new PretrainedFormatException(source, hf, $"shape [{string.Join(", ", t.shape)}] does not fit [{string.Join(", ", p.shape)}].");
            p.copy_(t.to_type(ScalarType.Float32));
        }
    }

    /// <summary>Exports ids (batch, sequence) and mask (batch, sequence), both int64, → hidden_states (batch, sequence, D).</summary>
    public OnnxExportResult ExportOnnx(int opset = OnnxOpset.Default) =>
        OnnxExporter.Export(this,
            [new OnnxInputSpec(InputIdsName, OnnxElementType.Int64, [OnnxDim.Batch, SequenceDim]),
             new OnnxInputSpec(AttentionMaskName, OnnxElementType.Int64, [OnnxDim.Batch, SequenceDim])],
            new OnnxExportOptions { Opset = opset, GraphName = "text_encoder", OutputNames = [HiddenStatesName],
                Metadata = new Dictionary<string, string> { ["kind"] = "bert-encoder", ["hidden_size"] = HiddenSize.ToString() } });

    /// <summary>The symbolic sequence dim of the exported graph.</summary>
    public static OnnxDim SequenceDim { get; } = OnnxDim.Symbolic("sequence");

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        if (inputs.Count != 2) throw new ArgumentException($"BertEncoder takes input ids and an attention mask, {inputs.Count} inputs were given.");
        var (ids, mask) = (inputs[0], inputs[1]);                                        // (B, S) int64 each
        var seq = ids.Shape[1];
        OnnxValue x;
        using (var s = b.Scope("embeddings"))
        {
            var words = b.Gather(c.Weight(word_embeddings.weight!, "word_embeddings"), ids, 0);          // (B, S, D)
            // Position rows [0, S): S read from the ids at run time, so the sequence stays symbolic.
            var pos = b.SlicePrefix(c.Weight(position_embeddings.weight!, "position_embeddings"), 0, b.ShapeOf(ids, 1, 2), seq);  // (S, D)
            using var scope = NewDisposeScope();
            var type0 = c.Weight(token_type_embeddings.weight![0], "token_type_embedding_0");                // (D)
            x = b.Add(b.Add(words, type0), pos);
        }
        x = c.Export(embeddings_norm, "embeddings_norm", x);
        OnnxValue ext;
        using (var s = b.Scope("mask"))
        {
            var m = b.Unsqueeze(b.Cast(mask, OnnxElementType.Float), 1, 2);                              // (B, 1, 1, S)
            ext = b.Mul(b.Sub(b.AddScalar("one", 1f), m), b.AddScalar("mask_value", Config.MaskValue));
        }
        int i = 0;
        foreach (var layer in layers) x = c.Export(layer, $"layers.{i++}", [x, ext])[0];
        return [x];
    }
}
