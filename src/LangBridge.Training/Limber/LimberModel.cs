using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Training.Limber;

/// <summary>Captions tokenised for the LM: ids (B, C + 1) with end of text after each caption and as padding, and which of them count (B, C + 1).</summary>
public sealed record CaptionTargets(Tensor Ids, Tensor Weights) : IDisposable
{
    public void Dispose() { Ids.Dispose(); Weights.Dispose(); }
}

/// <summary>
/// The frozen LM and one <see cref="LimberBridge"/> per encoder. A caption is read as
/// [k soft tokens][prompt][caption] and scored on the caption's tokens and the end of text only (the image and
/// prompt positions are context, never targets).
/// </summary>
public sealed class LimberModel : nn.Module
{
    private readonly GptModel lm;
    private readonly ModuleDict<LimberBridge> bridges;
    private readonly Dropout token_dropout;

    public LimberModel(GptModel frozenLm, BytePairTokenizer tokenizer, string prompt, IReadOnlyDictionary<LimberEncoder, int> featureSizes, int tokens, double dropout)
        : base("LimberModel")
    {
        if (!frozenLm.IsFrozen) throw new ArgumentException("the language model must be frozen", nameof(frozenLm));
        lm = frozenLm;
        Tokenizer = tokenizer;
        PromptIds = tokenizer.Encode(prompt).Select(i => (long)i).ToArray();
        bridges = new ModuleDict<LimberBridge>();
        foreach (var (encoder, size) in featureSizes.OrderBy(p => p.Key)) bridges.Add(encoder.Key(), new LimberBridge(size, tokens, frozenLm.Config.Width));
        token_dropout = nn.Dropout(dropout);
        RegisterComponents();
    }

    public GptModel Lm => lm;
    public BytePairTokenizer Tokenizer { get; }
    public long[] PromptIds { get; }
    public IEnumerable<LimberEncoder> Encoders => Enum.GetValues<LimberEncoder>().Where(e => bridges.ContainsKey(e.Key()));

    public LimberBridge Bridge(LimberEncoder encoder) => bridges[encoder.Key()];

    /// <summary>The LM's input for features (B, F) of <paramref name="encoder"/>: soft tokens then the prompt's embeddings (B, k + P, D).</summary>
    public Tensor Prefix(LimberEncoder encoder, Tensor features)
    {
        using var scope = NewDisposeScope();
        var soft = token_dropout.call(Bridge(encoder).call(features));                    // (B, k, D)
        using var prompt = tensor(PromptIds, dtype: ScalarType.Int64).view(1, -1).expand(features.shape[0], -1);
        return cat([soft, lm.Embed(prompt)], 1).MoveToOuterDisposeScope();                // (B, k + P, D)
    }

    /// <summary>The prompt alone for <paramref name="batch"/> captions (B, P, D): the LM's text-only baseline.</summary>
    public Tensor PromptOnly(long batch)
    {
        using var scope = NewDisposeScope();
        using var prompt = tensor(PromptIds, dtype: ScalarType.Int64).view(1, -1).expand(batch, -1);
        return lm.Embed(prompt).MoveToOuterDisposeScope();                                  // (B, P, D)
    }

    /// <summary>Tokenises captions (each read after the prompt, so with a leading space) into <see cref="CaptionTargets"/>.</summary>
    public CaptionTargets Targets(IReadOnlyList<string> captions)
    {
        var encoded = captions.Select(c => Tokenizer.Encode(" " + c.TrimStart())).ToArray();
        int length = encoded.Max(e => e.Length) + 1;
        var ids = new long[captions.Count * length];
        var weights = new float[captions.Count * length];
        for (int i = 0; i < captions.Count; i++)
            for (int j = 0; j < length; j++)
            {
                ids[i * length + j] = j < encoded[i].Length ? encoded[i][j] : Tokenizer.EndOfTextId;
                weights[i * length + j] = j <= encoded[i].Length ? 1f : 0f;
            }
        return new CaptionTargets(tensor(ids, dtype: ScalarType.Int64).view(captions.Count, length), tensor(weights).view(captions.Count, length));
    }

    /// <summary>Per-caption mean cross-entropy (B) of the targets after the prefix (B, k + P, D).</summary>
    public Tensor CaptionLoss(Tensor prefix, CaptionTargets targets)
    {
        using var scope = NewDisposeScope();
        long b = prefix.shape[0], p = prefix.shape[1], c = targets.Ids.shape[1];
        // Read every caption token but the last target: position p − 1 + j predicts target j.
        var input = cat([prefix, lm.Embed(targets.Ids.narrow(1, 0, c - 1))], 1);          // (B, p + C − 1, D)
        var logits = lm.Logits(input).narrow(1, p - 1, c);                                 // (B, C, V)
        var nll = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.Ids.reshape(-1), reduction: nn.Reduction.None).view(b, c);
        return nll.mul(targets.Weights).sum(1).div(targets.Weights.sum(1)).MoveToOuterDisposeScope();
    }

    public override void train(bool on = true)
    {
        base.train(on);
        lm.train(false);
    }
}
