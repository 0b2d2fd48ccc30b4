using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Models;

/// <summary>
/// A BERT encoder without its word table: input vectors (B, S, D) in word-embedding space + token type 0
/// + absolute positions → the embedding LayerNorm → the first <see cref="Layers"/> layers → hidden states
/// (B, S, D), exactly as <see cref="BertEncoder"/> computes them after its word lookup. For models that
/// feed BERT vectors of their own (LQAE feeds the words an image was quantized to, or <c>[MASK]</c>);
/// leaving the 30,522-row table out keeps it out of their checkpoints. Parameter names are
/// <see cref="BertEncoder"/>'s, so <see cref="BertEncoder.HfName"/> maps them to Hugging Face's too.
/// </summary>
public sealed class BertBody : nn.Module<Tensor, Tensor, Tensor>, IOnnxExportable
{
    private readonly Embedding position_embeddings, token_type_embeddings;
    private readonly LayerNorm embeddings_norm;
    private readonly ModuleList<BertLayer> layers;

    /// <param name="config">The encoder's shape; <see cref="BertConfig.Layers"/> layers are built (its vocabulary size is not used).</param>
    public BertBody(BertConfig config, string name = "BertBody") : base(name)
    {
        config.Validate("BertConfig");
        Config = config with { HasPooler = false };
        position_embeddings = nn.Embedding(config.MaxPositions, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        embeddings_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        layers = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>
    /// The first <paramref name="layerCount"/> layers of <paramref name="encoder"/> with its position, token-type
    /// and embedding-norm weights (copied), frozen. Throws when the encoder has fewer layers.
    /// </summary>
    public static BertBody From(BertEncoder encoder, int layerCount)
    {
        if (layerCount < 1 || layerCount > encoder.Config.Layers)
            throw new ArgumentOutOfRangeException(nameof(layerCount), layerCount, $"the encoder has {encoder.Config.Layers} layers; take 1..{encoder.Config.Layers}");
        var body = new BertBody(encoder.Config with { Layers = layerCount });
        var source = encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
            foreach (var (name, p) in body.named_parameters()) p.copy_(source[name]);
        return body.Frozen();
    }

    public BertConfig Config { get; }
    public int HiddenSize => Config.HiddenSize;
    public int Layers => Config.Layers;

    /// <summary>vectors (B, S, D), attention mask (B, S) int64 or float (1 = token, 0 = padding) → hidden states (B, S, D).</summary>
    public override Tensor forward(Tensor vectors, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var m = attentionMask.to_type(ScalarType.Float32).unsqueeze(1).unsqueeze(1);       // (B, 1, 1, S)
        return Run(vectors, m.neg().add(1f).mul(Config.MaskValue)).MoveToOuterDisposeScope();
    }

    /// <summary>Hidden states of vectors (B, S, D) where every position is a token: no additive mask is built.</summary>
    public Tensor Read(Tensor vectors)
    {
        using var scope = NewDisposeScope();
        return Run(vectors, zeros(1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Every stage's output for vectors (B, S, D), every position a token: the embedding output, then each
    /// layer's, <see cref="Layers"/> + 1 tensors (B, S, D), the last being <see cref="Read"/>'s. What a linear probe on all layers reads.
    /// </summary>
    public IReadOnlyList<Tensor> ReadEveryLayer(Tensor vectors)
    {
        using var scope = NewDisposeScope();
        var stages = new List<Tensor>();
        Run(vectors, zeros(1), stages);
        foreach (var stage in stages) stage.MoveToOuterDisposeScope();
        return stages;
    }

    /// <summary>The embedding sums as <see cref="BertEncoder"/> adds them ((word + type 0) + positions), LayerNorm, then the layers.</summary>
    private Tensor Run(Tensor vectors, Tensor additiveMask, List<Tensor>? stages = null)
    {
        long s = vectors.shape[1];
        if (s > Config.MaxPositions) throw new ArgumentException($"Sequence of {s} vectors is longer than the {Config.MaxPositions} positions the model has.");
        var x = vectors.add(token_type_embeddings.weight![0]).add(position_embeddings.weight!.narrow(0, 0, s));   // (B, S, D)
        x = embeddings_norm.call(x);
        stages?.Add(x);
        foreach (var layer in layers)
        {
            x = layer.call(x, additiveMask);
            stages?.Add(x);
        }
        return x;
    }

    /// <summary>Sets every parameter's requires_grad off and switches to eval mode; returns this.</summary>
    public BertBody Frozen()
    {
        foreach (var p in parameters()) p.requires_grad_(false);
        IsFrozen = true;
        eval();
        return this;
    }

    /// <summary>Set by <see cref="Frozen"/>: the module then stays in eval mode when a model that contains it is put in training mode.</summary>
    public bool IsFrozen { get; private set; }

    /// <summary>A frozen body ignores train(true) from a parent (BERT's dropout stays off).</summary>
    public override void train(bool on = true) => base.train(on && !IsFrozen);

    /// <summary>
    /// Inputs: vectors (B, S, D), optionally the attention mask (B, S) int64; without a mask every position is a
    /// token and the layers add a zero scalar, as <see cref="Read"/> does. Output: hidden states (B, S, D).
    /// </summary>
    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        if (inputs.Count is not (1 or 2)) throw new ArgumentException($"BertBody takes vectors and optionally an attention mask, {inputs.Count} inputs were given.");
        var x = inputs[0];                                                                  // (B, S, D)
        using (var s = b.Scope("embeddings"))
        {
            // Position rows [0, S): S read from the input at run time, so the sequence may stay symbolic.
            var pos = b.SlicePrefix(c.Weight(position_embeddings.weight!, "position_embeddings"), 0, b.ShapeOf(x, 1, 2), x.Shape[1]);  // (S, D)
            using var scope = NewDisposeScope();
            var type0 = c.Weight(token_type_embeddings.weight![0], "token_type_embedding_0");                                      // (D)
            x = b.Add(b.Add(x, type0), pos);
        }
        x = c.Export(embeddings_norm, "embeddings_norm", x);
        OnnxValue ext;
        using (var s = b.Scope("mask"))
        {
            if (inputs.Count == 2)
            {
                var m = b.Unsqueeze(b.Cast(inputs[1], OnnxElementType.Float), 1, 2);                                               // (B, 1, 1, S)
                ext = b.Mul(b.Sub(b.AddScalar("one", 1f), m), b.AddScalar("mask_value", Config.MaskValue));
            }
            else
            {
                ext = b.AddScalar("no_padding", 0f);
            }
        }
        int i = 0;
        foreach (var layer in layers) x = c.Export(layer, $"layers.{i++}", [x, ext])[0];
        return [x];
    }
}
