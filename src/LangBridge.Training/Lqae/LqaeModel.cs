using LangBridge.Layers;
using LangBridge.Training.Quantization;
using LangBridge.Training.Recipes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>What <see cref="LqaeModel.Features"/> returns: ids (B, N), probe features (B, (L + 2)·D), sentence features (B, D).</summary>
public sealed record LqaeFeatures(Tensor TokenIds, Tensor Probe, Tensor Sentence);

/// <summary>What one LQAE forward pass returns.</summary>
/// <param name="Reconstruction">(B, C, H, W), normalised space.</param>
/// <param name="TokenIds">(B, N) int64 ids into the language codebook.</param>
/// <param name="Commitment">Scalar ‖z − sg(q)‖² (mean), pulling the encoder towards its words.</param>
/// <param name="Latents">(B, N, D) unit-norm latents as searched (with gradients).</param>
/// <param name="Hidden">(B, N, D) the frozen BERT's last hidden states the decoder read (recipes with a BERT).</param>
/// <param name="MaskedTokenLoss">Scalar cross-entropy of the BERT's predictions at masked positions against their words (recipes with a BERT, when positions were masked).</param>
public sealed record LqaeOutput(Tensor Reconstruction, Tensor TokenIds, Tensor Commitment, Tensor Latents, Tensor? Hidden = null, Tensor? MaskedTokenLoss = null);

/// <summary>
/// Language-Quantized AutoEncoder: encoder → nearest word of a frozen language codebook (cosine,
/// straight-through gradients) → train-time random masking → decoder. The three exportable pieces
/// are separate modules (<see cref="Encoder"/>, <see cref="Quantizer"/>, <see cref="TokenDecoder"/>) so
/// each becomes its own ONNX graph.
/// <para>
/// With a frozen BERT (<see cref="LqaeRecipe.Bert"/>, as the paper builds LQAE) the codebook is the BERT's word
/// table, masked positions get its <c>[MASK]</c> embedding, the BERT reads the words and the decoder
/// reconstructs the image from its last hidden states (<see cref="Bert"/>); gradients reach the encoder
/// through the frozen BERT and the straight-through estimator.
/// </para>
/// </summary>
public sealed class LqaeModel : nn.Module
{
    private readonly Sequential encoder;
    private readonly CodebookQuantizer quantizer;
    private readonly Sequential decoder;
    private readonly Sequential token_decoder = null!;   // set in the constructor: registered without a BERT, built after registration with one
    private readonly LqaeBert? bert;
    private Tensor codebookT = null!;    // (D, V) contiguous copy for the tiled search; derived, not saved
    private Tensor? coarseCodebookT;     // (D, V_coarse) the same for the coarse level, when there is one
    private Tensor? codesByPositionT;    // (N, D, S) the same for a positional vocabulary
    private readonly LqaeRecipe recipe;

    /// <param name="codebook">(V, D) language codebook; normalised inside the quantizer and frozen.</param>
    /// <param name="bert">The frozen BERT over the same V words, exactly when the recipe has a <c>bert</c> section.</param>
    public LqaeModel(LqaeRecipe recipe, Tensor codebook, LqaeBert? bert = null) : base("LqaeModel")
    {
        recipe.Validate();
        if (codebook.ndim != 2 || codebook.shape[1] != recipe.Codebook.Dimension)
            throw new LangBridge.Data.DataException(
                $"the codebook is [{string.Join(", ", codebook.shape)}]; the recipe expects [V, {recipe.Codebook.Dimension}]");
        if ((recipe.Bert is null) != (bert is null))
            throw new ArgumentException(recipe.Bert is null ? $"recipe '{recipe.Name}' has no bert section, yet a BERT was given" : $"recipe '{recipe.Name}' needs its frozen BERT");
        if (bert is not null && (bert.Words != codebook.shape[0] || bert.HiddenSize != codebook.shape[1]))
            throw new ArgumentException($"the BERT embeds {bert.Words} words of width {bert.HiddenSize}; the codebook is [{string.Join(", ", codebook.shape)}]");
        this.recipe = recipe;
        this.bert = bert;
        encoder = BuildEncoder(recipe);
        quantizer = new CodebookQuantizer(codebook, normalizeInputs: true,
            coarseTokens: recipe.CoarseTokens, coarseVocabulary: recipe.GlobalTokens?.Vocabulary ?? 0,
            positions: recipe.Quantizer.PositionalVocabulary ? recipe.TokensPerImage : 0);
        decoder = BuildDecoder(recipe);
        // The decoder graph takes token ids: lookup of the (normalised) codebook, then the decoder.
        if (bert is null) token_decoder = nn.Sequential(("lookup", new CodebookLookup(quantizer.Codebook)), ("decoder", decoder));
        RegisterComponents();
        // With a BERT: ids → BERT → decoder, built from the modules registered above and not registered itself,
        // which would store the BERT's weights a second time in every checkpoint.
        if (bert is not null) token_decoder = nn.Sequential(("bert", new LqaeBertTokens(bert)), ("decoder", decoder));
        RebuildSearchCopies();
    }

    /// <summary>(Re)derives the transposed copies the tiled search reads from the quantizer's codebook.</summary>
    internal void RebuildSearchCopies()
    {
        using var noGrad = no_grad();
        codebookT?.Dispose();
        coarseCodebookT?.Dispose();
        codesByPositionT?.Dispose();
        codebookT = quantizer.Codebook.t().contiguous();
        coarseCodebookT = recipe.CoarseTokens > 0 ? quantizer.Codebook.narrow(0, 0, quantizer.CoarseVocabulary).t().contiguous() : null;
        codesByPositionT = quantizer.Positions > 0 ? NearestCodeSearch.CodesByPositionT(quantizer.Codebook, quantizer.Positions) : null;
    }

    /// <summary>Image (B, C, H, W) → latents (B, N, D), not yet normalised.</summary>
    public nn.Module<Tensor, Tensor> Encoder => encoder;

    /// <summary>Latents (B, N, D) → (ids (B, N), codes (B, N, D)).</summary>
    public CodebookQuantizer Quantizer => quantizer;

    /// <summary>Code vectors (B, N, D) → image (B, C, H, W); with a BERT, its hidden states (B, N, D) → image.</summary>
    public nn.Module<Tensor, Tensor> Decoder => decoder;

    /// <summary>The frozen BERT between the words and the decoder (null without a <c>bert</c> section).</summary>
    public LqaeBert? Bert => bert;

    /// <summary>Token ids (B, N) int64 → image (B, C, H, W).</summary>
    public nn.Module<Tensor, Tensor> TokenDecoder => token_decoder;

    public LqaeRecipe Recipe => recipe;

    /// <summary>Fewest channels a trained 3×3 convolution may have (see the decoder's output layers).</summary>
    public const int MinConvChannels = 16;

    /// <summary>The trainable parameters (the codebook is a frozen buffer).</summary>
    public IEnumerable<Parameter> trainable_parameters() => parameters().Where(p => p.requires_grad);

    /// <summary>
    /// Training/evaluation forward. <paramref name="mask"/> (B, h·w) bool marks grid positions whose word
    /// vector is replaced by the fixed mask vector (zeros) before decoding; null decodes every token.
    /// Coarse tokens are never masked.
    /// Masked positions are not searched (their id is -1) and carry no commitment loss: the decoder never
    /// sees their word, and skipping them halves the search, the training's hot path, at ratio 0.5.
    /// </summary>
    public LqaeOutput Forward(Tensor images, Tensor? mask = null)
    {
        if (bert is not null) return ForwardBert(images, mask);
        using var scope = NewDisposeScope();
        var z = quantizer.Prepare(encoder.call(images));                              // (B, N, D), unit norm
        long b = z.shape[0], n = z.shape[1];
        Tensor ids, q, commitment, codes;
        if (mask is null)
        {
            ids = Tokenize(z);                                                          // (B, N)
            q = quantizer.Lookup(ids);                                                  // (B, N, D)
            commitment = nn.functional.mse_loss(z, q.detach());
            codes = z + (q - z).detach();                                               // straight-through
        }
        else
        {
            if (recipe.CoarseTokens > 0)                                                // coarse positions are always kept
                mask = cat([zeros(b, recipe.CoarseTokens, dtype: ScalarType.Bool), mask], 1);
            var keep = mask.logical_not();                                              // (B, N)
            if (codesByPositionT is not null)                                           // searching all is cheaper than selecting
            {
                ids = Tokenize(z).masked_fill(mask, -1L);                               // (B, N), -1 where masked
            }
            else
            {
                var kept = keep.flatten().nonzero().squeeze(1);                         // (K)
                ids = full(b * n, -1L, dtype: ScalarType.Int64);
                ids.index_copy_(0, kept, SearchKept(z.detach().flatten(0, 1).index_select(0, kept), kept, n));
                ids = ids.view(b, n);                                                   // (B, N), -1 where masked
            }
            q = quantizer.Lookup(ids.clamp_min(0));                                     // (B, N, D); masked rows unused
            var keepD = keep.unsqueeze(-1).to_type(z.dtype);                            // (B, N, 1)
            commitment = ((z - q.detach()).square() * keepD).sum() / (keepD.sum().clamp_min(1) * z.shape[2]);
            codes = (z + (q - z).detach()) * keepD;                                     // fixed mask vector: zeros
        }
        var reconstruction = decoder.call(codes);                                       // (B, C, H, W)
        return new LqaeOutput(reconstruction.MoveToOuterDisposeScope(), ids.MoveToOuterDisposeScope(), commitment.MoveToOuterDisposeScope(),
            z.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The forward with a BERT: every position is searched (a masked position's word is the target of the
    /// masked-token loss) and carries commitment; masked positions feed the BERT its <c>[MASK]</c> embedding;
    /// the decoder reads the BERT's last hidden states. <paramref name="mask"/> (B, N) bool, null: none.
    /// </summary>
    private LqaeOutput ForwardBert(Tensor images, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var z = Latents(images);                                                        // (B, N, D), unit norm
        var ids = Tokenize(z);                                                          // (B, N)
        var commitment = nn.functional.mse_loss(z, quantizer.Lookup(ids).detach());
        var hidden = BertHidden(z, ids, mask);                                          // (B, N, D)
        var reconstruction = decoder.call(hidden);                                      // (B, C, H, W)
        var maskedToken = mask is not null && recipe.Bert!.MaskedTokenWeight > 0 ? MaskedTokenLoss(hidden, ids, mask) : null;
        return new LqaeOutput(reconstruction.MoveToOuterDisposeScope(), ids.MoveToOuterDisposeScope(), commitment.MoveToOuterDisposeScope(),
            z.MoveToOuterDisposeScope(), hidden.MoveToOuterDisposeScope(), maskedToken?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The BERT's last hidden states (B, N, D) for unit-norm latents (B, N, D) quantized to <paramref name="ids"/> (B, N),
    /// <paramref name="mask"/>ed positions (B, N) reading <c>[MASK]</c>; gradients flow to the latents (straight-through).
    /// </summary>
    internal Tensor BertHidden(Tensor latents, Tensor ids, Tensor? mask) => RequireBert().Read(bert!.StraightThrough(latents, ids, mask));

    /// <summary>
    /// Cross-entropy of the BERT's hidden states (B, N, D) at the masked positions (B, N) scored against the codebook's
    /// rows of the tied word table, the targets being those positions' words <paramref name="ids"/> (B, N).
    /// </summary>
    internal Tensor MaskedTokenLoss(Tensor hidden, Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var at = mask.flatten().nonzero().squeeze(1);                                   // (M)
        if (at.shape[0] == 0) return zeros(1).sum().MoveToOuterDisposeScope();          // no masked position: nothing to predict
        var scores = RequireBert().WordScores(hidden.flatten(0, 1).index_select(0, at)); // (M, V)
        return nn.functional.cross_entropy(scores, ids.flatten().index_select(0, at)).MoveToOuterDisposeScope();
    }

    private LqaeBert RequireBert() => bert ?? throw new InvalidOperationException($"recipe '{recipe.Name}' has no BERT");

    /// <summary>Nearest words (B, N) of unit-norm latents (B, N, D), by the fast search; no gradients.</summary>
    internal Tensor Search(Tensor latents) => Tokenize(latents);

    /// <summary>Unit-norm latents of images (B, C, H, W) → (B, N, D), with gradients.</summary>
    public Tensor Latents(Tensor images) => quantizer.Prepare(encoder.call(images));

    /// <summary>
    /// Cosine scores of the coarse latents against the coarse vocabulary: (B, N, D) unit-norm latents →
    /// (B·K, V_coarse), with gradients. What the coarse tokens' argmax and the assignment loss read.
    /// </summary>
    public Tensor CoarseScores(Tensor latents)
    {
        if (recipe.CoarseTokens == 0) throw new InvalidOperationException($"recipe '{recipe.Name}' has no coarse tokens");
        using var scope = NewDisposeScope();
        var top = latents.narrow(1, 0, recipe.CoarseTokens).reshape(-1, latents.shape[2]);    // (B·K, D)
        return top.matmul(coarseCodebookT!).MoveToOuterDisposeScope();                        // (B·K, V_coarse)
    }

    /// <summary>Token ids of images (B, C, H, W) → (B, N), by the fast tiled search.</summary>
    public Tensor Encode(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Tokenize(quantizer.Prepare(encoder.call(images))).MoveToOuterDisposeScope();
    }

    /// <summary>Images (B, C, H, W) from token ids (B, N).</summary>
    public Tensor Decode(Tensor ids)
    {
        using var noGrad = no_grad();
        return token_decoder.call(ids);
    }

    /// <summary>
    /// Images (B, C, H, W) from token ids (B, N) with the positions of <paramref name="mask"/> (B, N) replaced by
    /// <c>[MASK]</c>: what the decoder makes of half the words, as in training.
    /// </summary>
    public Tensor DecodeMasked(Tensor ids, Tensor mask) => Decode(ids.masked_fill(mask, RequireBert().MaskId));

    /// <summary>
    /// Token ids and BERT features of images (B, C, H, W), nothing masked, no gradients: the paper's probe
    /// input (the token averages of the encoder's unit latents, the BERT's embedding output and each of its L
    /// layers, concatenated) and the sentence feature (the token average of the last hidden states).
    /// </summary>
    public LqaeFeatures Features(Tensor images)
    {
        var b = RequireBert();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var latents = quantizer.Prepare(encoder.call(images));                          // (B, N, D)
        var ids = Tokenize(latents);                                                    // (B, N)
        var stages = b.Body.ReadEveryLayer(b.Embed(ids));                               // L + 1 × (B, N, D)
        var probe = cat(stages.Prepend(latents).Select(t => t.mean([1])).ToArray(), 1); // (B, (L + 2)·D)
        var sentence = stages[^1].mean([1]);                                            // (B, D)
        return new LqaeFeatures(ids.MoveToOuterDisposeScope(), probe.MoveToOuterDisposeScope(), sentence.MoveToOuterDisposeScope());
    }

    private Tensor Tokenize(Tensor z)                                                   // (B, N, D) -> (B, N)
    {
        if (codesByPositionT is not null) return NearestCodeSearch.Positional(z.detach(), codesByPositionT);
        long n = z.shape[1];
        var all = arange(z.shape[0] * n, dtype: ScalarType.Int64);
        return SearchKept(z.detach().reshape(-1, z.shape[^1]), all, n).view(z.shape[0], n);
    }

    /// <summary>
    /// Nearest words of <paramref name="vectors"/> (M, D), the rows at flat positions <paramref name="flatIndex"/>
    /// (M) of (B, N) sequences: coarse positions search the coarse vocabulary, the others the whole codebook.
    /// </summary>
    private Tensor SearchKept(Tensor vectors, Tensor flatIndex, long n)                 // -> (M)
    {
        var q = recipe.Quantizer;
        if (coarseCodebookT is null) return NearestCodeSearch.Tiled(vectors, codebookT, q.VectorTile, q.CodeTile);
        using var scope = NewDisposeScope();
        var coarse = flatIndex.remainder(n).lt(recipe.CoarseTokens);                    // (M) bool
        var ids = empty(vectors.shape[0], dtype: ScalarType.Int64);
        var top = coarse.nonzero().squeeze(1);
        var rest = coarse.logical_not().nonzero().squeeze(1);
        ids.index_copy_(0, top, NearestCodeSearch.Tiled(vectors.index_select(0, top), coarseCodebookT, q.VectorTile, q.CodeTile));
        ids.index_copy_(0, rest, NearestCodeSearch.Tiled(vectors.index_select(0, rest), codebookT, q.VectorTile, q.CodeTile));
        return ids.MoveToOuterDisposeScope();
    }

    /// <summary>Random (B, N) mask with about <paramref name="ratio"/> of positions set, from <paramref name="generator"/>.</summary>
    public static Tensor? RandomMask(long batch, long tokens, float ratio, Generator generator) =>
        ratio <= 0 ? null : rand(batch, tokens, generator: generator).lt(ratio);

    /// <summary>Positions masked in each image by <see cref="ExactMask"/>: round(ratio · N), halves away from zero.</summary>
    public static long MaskedCount(long tokens, float ratio) => (long)Math.Round(ratio * (double)tokens, MidpointRounding.AwayFromZero);

    /// <summary>
    /// Random (B, N) mask with exactly <see cref="MaskedCount"/> positions set in every row (the lowest of
    /// uniform scores), from <paramref name="generator"/>; null when that is none.
    /// </summary>
    public static Tensor? ExactMask(long batch, long tokens, float ratio, Generator generator)
    {
        long k = MaskedCount(tokens, ratio);
        if (k <= 0) return null;
        using var scope = NewDisposeScope();
        var chosen = rand(batch, tokens, generator: generator).argsort(1).narrow(1, 0, k);   // (B, k)
        return zeros(batch, tokens, dtype: ScalarType.Bool).scatter_(1, chosen, ones(batch, k, dtype: ScalarType.Bool)).MoveToOuterDisposeScope();
    }

    /// <summary>The recipe's train-time mask of step <paramref name="generator"/>: exact with a BERT (the paper's), per-position otherwise.</summary>
    public Tensor? TrainingMask(long batch, Generator generator)
    {
        long n = recipe.GridSize * recipe.GridSize;
        return bert is null ? RandomMask(batch, n, recipe.Masking.Ratio, generator) : ExactMask(batch, n, recipe.Masking.Ratio, generator);
    }

    private static Sequential BuildEncoder(LqaeRecipe r)
    {
        var e = r.Encoder;
        if (e.Type == EncoderType.Vit)
        {
            var vit = new List<(string, nn.Module<Tensor, Tensor>)>
            {
                ("patch", new PatchEmbedding(r.Data.Channels, e.Channels, e.Downsample, r.Data.ImageSize, r.Data.ImageSize)),
            };
            for (int i = 0; i < e.Depth; i++) vit.Add(($"block{i}", new VitBlock(e.Channels, e.Heads)));
            vit.Add(("norm", nn.LayerNorm(e.Channels)));
            vit.Add(r.CoarseTokens > 0
                ? ("head", new GlobalTokenHead(e.Channels, r.Codebook.Dimension, r.CoarseTokens))
                : ("proj", nn.Linear(e.Channels, r.Codebook.Dimension)));
            return nn.Sequential(vit);
        }
        var layers = new List<(string, nn.Module<Tensor, Tensor>)> { ("stem", nn.Conv2d(r.Data.Channels, e.Channels, 3, padding: 1)) };
        for (int s = 0, f = e.Downsample; f > 1; s++, f /= 2)
        {
            layers.Add(($"down{s}_norm", Init.GroupNorm(e.Groups, e.Channels)));
            layers.Add(($"down{s}_act", nn.SiLU()));
            layers.Add(($"down{s}", nn.Conv2d(e.Channels, e.Channels, 4, stride: 2, padding: 1)));
        }
        for (int i = 0; i < e.ResidualBlocks; i++) layers.Add(($"res{i}", new ResidualBlock(e.Channels, e.Channels, e.Groups)));
        layers.Add(("out_norm", Init.GroupNorm(e.Groups, e.Channels)));
        layers.Add(("out_act", nn.SiLU()));
        if (r.CoarseTokens > 0)
        {
            layers.Add(("tokens", new GridToTokens()));                                 // (B, h·w, C)
            layers.Add(("head", new GlobalTokenHead(e.Channels, r.Codebook.Dimension, r.CoarseTokens))); // (B, K + h·w, D)
            return nn.Sequential(layers);
        }
        layers.Add(("proj", nn.Conv2d(e.Channels, r.Codebook.Dimension, 1)));        // (B, D, h, w)
        layers.Add(("tokens", new GridToTokens()));                                     // (B, N, D)
        return nn.Sequential(layers);
    }

    private static Sequential BuildDecoder(LqaeRecipe r)
    {
        var d = r.Decoder;
        int grid = r.GridSize;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        if (r.CoarseTokens > 0)
        {
            layers.Add(("stem", new GlobalTokenStem(r.Codebook.Dimension, d.Channels, r.CoarseTokens, grid, grid))); // (B, C, h, w)
        }
        else
        {
            layers.Add(("grid", new TokensToGrid(grid, grid)));                         // (B, D, h, w)
            layers.Add(("stem", nn.Conv2d(r.Codebook.Dimension, d.Channels, 3, padding: 1)));
        }
        for (int i = 0; i < d.ResidualBlocks; i++) layers.Add(($"res{i}", new ResidualBlock(d.Channels, d.Channels, d.Groups)));
        for (int s = 0, f = r.Encoder.Downsample; f > 1; s++, f /= 2)
        {
            layers.Add(($"up{s}_norm", Init.GroupNorm(d.Groups, d.Channels)));
            layers.Add(($"up{s}_act", nn.SiLU()));
            layers.Add(($"up{s}", nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Nearest)));
            layers.Add(($"up{s}_conv", nn.Conv2d(d.Channels, d.Channels, 3, padding: 1)));
        }
        layers.Add(("out_norm", Init.GroupNorm(d.Groups, d.Channels)));
        layers.Add(("out_act", nn.SiLU()));
        // To pixels through 16 channels: libtorch 2.10's CPU backward of a 3×3 convolution with fewer than
        // 16 channels on either side is nondeterministic with 2+ threads (occasionally non-finite).
        layers.Add(("out", nn.Conv2d(d.Channels, MinConvChannels, 3, padding: 1)));
        layers.Add(("to_pixels", nn.Conv2d(MinConvChannels, r.Data.Channels, 1)));
        layers.Add(("tanh", nn.Tanh()));
        return nn.Sequential(layers);
    }
}
