using LangBridge.Onnx.Parity;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using static TorchSharp.torch;

namespace LangBridge.Layers;

/// <summary>
/// Nearest-codebook quantizer over a frozen codebook E (K, D) (e.g. a language model's token
/// embeddings). Input latents (B, N, D) → (token ids (B, N) int64, code vectors (B, N, D) float32).
/// <para>
/// Nearest in L2 is the argmax of the score z·eᵀ − ½‖e‖² (the ‖z‖² term does not change the argmax).
/// With <see cref="NormalizeInputs"/> (LQAE style) the codebook rows are L2-normalised at
/// construction and the latents before the search; the score is then the cosine z·eᵀ.
/// </para>
/// With <see cref="CoarseTokens"/> K &gt; 0 the first K positions of every sequence (a pyramid's coarse
/// level) choose among the first <see cref="CoarseVocabulary"/> codes only, a small shared vocabulary.
/// With <see cref="Positions"/> P &gt; 0 the vocabulary is positional: position p of a P-long sequence
/// chooses among codes p, p + P, p + 2P, … only, so a code also says where it was.
/// </para>
/// The search lives in <see cref="SearchNearest"/> only; a faster eager search (e.g. chunked) can
/// replace it without touching the rest. In training mode the code vectors are returned with the
/// straight-through estimator (z + (e − z).detach()).
/// </summary>
public sealed class CodebookQuantizer : nn.Module<Tensor, (Tensor Ids, Tensor Codes)>, IOnnxExportable, IDecisionGapSource
{
    private readonly Tensor codebook;      // (K, D)
    private readonly Tensor half_norms;    // (K)

    public CodebookQuantizer(Tensor codebook, bool normalizeInputs = true, double eps = 1e-12, int coarseTokens = 0, int coarseVocabulary = 0,
        int positions = 0, string name = "CodebookQuantizer") : base(name)
    {
        if (codebook.ndim != 2) throw new ArgumentException($"Codebook must be (K, D), got [{string.Join(", ", codebook.shape)}].");
        if (coarseTokens < 0 || (coarseTokens > 0 && (coarseVocabulary < 2 || coarseVocabulary > codebook.shape[0])))
            throw new ArgumentException($"A coarse level needs 2..{codebook.shape[0]} codes, got {coarseVocabulary} for {coarseTokens} tokens.");
        if (positions < 0 || (positions > 0 && (coarseTokens > 0 || codebook.shape[0] / positions < 2)))
            throw new ArgumentException($"A positional vocabulary needs at least 2 codes per position and no coarse level; got {codebook.shape[0]} codes for {positions} positions.");
        Positions = positions;
        NormalizeInputs = normalizeInputs;
        Eps = eps;
        CoarseTokens = coarseTokens;
        CoarseVocabulary = coarseTokens > 0 ? coarseVocabulary : 0;
        using (no_grad())
        {
            var cb = codebook.detach().to_type(ScalarType.Float32);
            cb = normalizeInputs ? L2Normalize.Apply(cb, -1, eps) : cb.clone();
            this.codebook = cb.contiguous();
            half_norms = (this.codebook * this.codebook).sum(1) * 0.5f;
        }
        register_buffer(nameof(codebook), this.codebook);
        register_buffer(nameof(half_norms), half_norms);
    }

    public bool NormalizeInputs { get; }
    public double Eps { get; }
    /// <summary>Leading positions restricted to the first <see cref="CoarseVocabulary"/> codes (0: none).</summary>
    public int CoarseTokens { get; }
    public int CoarseVocabulary { get; }
    /// <summary>Sequence length of a positional vocabulary (0: every position may take every code).</summary>
    public int Positions { get; }
    /// <summary>Codes each position may take with a positional vocabulary: ⌊K / P⌋.</summary>
    public long CodesPerPosition => Positions > 0 ? CodebookSize / Positions : CodebookSize;
    public long CodebookSize => codebook.shape[0];
    public long EmbeddingDim => codebook.shape[1];
    /// <summary>The (normalised, when <see cref="NormalizeInputs"/>) codebook (K, D).</summary>
    public Tensor Codebook => codebook;

    /// <summary>Latents as searched: L2-normalised when <see cref="NormalizeInputs"/>. (..., D) → (..., D).</summary>
    public Tensor Prepare(Tensor z) => NormalizeInputs ? L2Normalize.Apply(z, -1, Eps) : z.alias();

    /// <summary>
    /// Similarity of every latent to every code: (..., D) → (..., K); larger is nearer. Codes a position
    /// may not take (coarse level, positional vocabulary) score −∞; latents must then be (B, N, D).
    /// </summary>
    public Tensor Scores(Tensor z)
    {
        using var scope = NewDisposeScope();
        var s = Prepare(z).matmul(codebook.t());                                       // (..., K)
        if (!NormalizeInputs) s = s - half_norms;
        if (CoarseTokens > 0)
        {
            if (s.ndim != 3 || s.shape[1] < CoarseTokens)
                throw new ArgumentException($"A quantizer with {CoarseTokens} coarse tokens needs (B, N ≥ {CoarseTokens}, D) latents.");
            s.narrow(1, 0, CoarseTokens).narrow(2, CoarseVocabulary, CodebookSize - CoarseVocabulary).fill_(float.NegativeInfinity);
        }
        if (Positions > 0)
        {
            if (s.ndim != 3 || s.shape[1] != Positions)
                throw new ArgumentException($"A quantizer with a positional vocabulary needs (B, {Positions}, D) latents.");
            var code = arange(CodebookSize, dtype: ScalarType.Int64);                  // (K)
            var allowed = code.remainder(Positions).unsqueeze(0).eq(arange(Positions, dtype: ScalarType.Int64).unsqueeze(1))
                .logical_and(code.lt(CodesPerPosition * Positions));                  // (P, K)
            s = s.masked_fill(allowed.logical_not(), float.NegativeInfinity);
        }
        return s.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The nearest-neighbour search: index of the best-scoring code per latent, (..., D) → (...) int64.
    /// Ties resolve to the first maximum, as ONNX ArgMax with select_last_index = 0.
    /// </summary>
    public Tensor SearchNearest(Tensor z)
    {
        using var scope = NewDisposeScope();
        return Scores(z).argmax(-1).MoveToOuterDisposeScope();                         // (...)
    }

    /// <summary>Gap between the best and second-best score per latent (..., D) → (...): a near-tie when tiny.</summary>
    public Tensor Top2Gap(Tensor z)
    {
        using var scope = NewDisposeScope();
        var (values, _) = Scores(z).topk(2, dim: -1);                                  // (..., 2)
        return (values.select(-1, 0) - values.select(-1, 1)).MoveToOuterDisposeScope();
    }

    Tensor IDecisionGapSource.DecisionGap(Tensor input) => Top2Gap(input);

    /// <summary>Code vectors of <paramref name="ids"/>: (...) → (..., D).</summary>
    public Tensor Lookup(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var flat = codebook.index_select(0, ids.flatten());
        return flat.reshape([.. ids.shape, EmbeddingDim]).MoveToOuterDisposeScope();
    }

    public override (Tensor Ids, Tensor Codes) forward(Tensor z)                       // (B, N, D)
    {
        using var scope = NewDisposeScope();
        var ids = SearchNearest(z);                                                    // (B, N)
        var codes = Lookup(ids);                                                       // (B, N, D)
        if (training)
        {
            var zp = Prepare(z);
            codes = zp + (codes - zp).detach();                                        // straight-through
        }
        return (ids.MoveToOuterDisposeScope(), codes.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Outputs [ids (B, N) int64, codes (B, N, D)]: MatMul against Eᵀ, ArgMax, Gather. A coarse level
    /// is searched on its own against the leading codes (the same first maximum as the −∞ scores).
    /// </summary>
    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        var z = inputs[0];                                                             // (B, N, D)
        if (z.Dim(-1) != EmbeddingDim) throw new InvalidOperationException($"Latent dim {z.Dim(-1)} ≠ codebook dim {EmbeddingDim}.");
        if (NormalizeInputs) z = L2Normalize.Emit(c, z, -1, Eps);
        if (Positions > 0) return ExportPositional(c, z);                              // its own copy of the codes, not codebook_t
        using var scope = NewDisposeScope();
        var codebookT = c.Weight(codebook.t(), "codebook_t");                           // (D, K)
        OnnxValue? halfNorms = null;                                                   // added on first use
        OnnxValue Search(OnnxValue latents, long codes)                                // (B, n, D) -> (B, n) int64 over the first codes
        {
            var scores = b.MatMul(latents, codes == CodebookSize ? codebookT : b.Slice(codebookT, 1, 0, codes)); // (B, n, codes)
            if (!NormalizeInputs)
            {
                halfNorms ??= c.Weight(half_norms, nameof(half_norms));
                scores = b.Sub(scores, codes == CodebookSize ? halfNorms : b.Slice(halfNorms, 0, 0, codes));
            }
            return b.ArgMax(scores, axis: -1, keepDims: false);
        }
        var ids = CoarseTokens == 0
            ? Search(z, CodebookSize)                                                  // (B, N)
            : b.Concat(1, Search(b.Slice(z, 1, 0, CoarseTokens), CoarseVocabulary),   // (B, K)
                Search(b.Slice(z, 1, CoarseTokens, z.Dim(1)), CodebookSize));          // (B, N − K)
        var gathered = b.Gather(codebookT, ids, axis: 1);                              // (D, B, N)
        var perm = Enumerable.Range(1, ids.Rank).Select(i => (long)i).Append(0).ToArray();
        var codes = b.Transpose(gathered, perm);                                       // (B, N, D)
        return [ids, codes];
    }

    /// <summary>
    /// The codes of a positional vocabulary by position: (K, D) codebook → (P, S, D) with row j of
    /// position p = code p + P·j (S = ⌊K / P⌋; the last K mod P codes are unused).
    /// </summary>
    public static Tensor CodesByPosition(Tensor codebook, long positions)
    {
        using var noGrad = no_grad();
        long per = codebook.shape[0] / positions, d = codebook.shape[1];
        return codebook.narrow(0, 0, per * positions).view(per, positions, d).transpose(0, 1).contiguous();
    }

    /// <summary>
    /// Positional vocabulary: one batched MatMul of each position's latents against its own S codes
    /// (stored once, as (P, S, D) with row j of position p = code p + P·j), ArgMax, then
    /// id = P·j + p and the code vectors gathered from the same table.
    /// </summary>
    private IReadOnlyList<OnnxValue> ExportPositional(OnnxExportContext c, OnnxValue z)  // z: (B, P, D) prepared
    {
        var b = c.Builder;
        if (z.Dim(1) != Positions) throw new InvalidOperationException($"{z.Dim(1)} latents per image; the positional vocabulary has {Positions} positions.");
        long p = Positions, per = CodesPerPosition, d = EmbeddingDim;
        using var scope = NewDisposeScope();
        var table = CodesByPosition(codebook, p);                                      // (P, S, D)
        var codesByPosition = c.Weight(table, "codes_by_position");                    // (P, S, D)
        var scores = b.MatMul(b.Transpose(z, 1, 0, 2), b.Transpose(codesByPosition, 0, 2, 1)); // (P, B, S)
        if (!NormalizeInputs)
        {
            var halves = (table * table).sum(-1) * 0.5f;                               // (P, S)
            scores = b.Sub(scores, c.Weight(halves.unsqueeze(1), "half_norms_by_position")); // (P, 1, S) broadcast
        }
        var local = b.Transpose(b.ArgMax(scores, axis: -1, keepDims: false), 1, 0);    // (B, P) int64, j
        var position = b.AddInitializer("position", Enumerable.Range(0, Positions).Select(i => (long)i).ToArray(), p); // (P)
        var ids = b.Add(b.Mul(local, b.AddInitializer("positions", new[] { p }, 1)), position); // (B, P): P·j + p
        var row = b.Add(b.Mul(position, b.AddInitializer("per_position", new[] { per }, 1)), local); // (B, P): p·S + j
        var codes = b.Gather(b.Reshape(codesByPosition, p * per, d), row, axis: 0);    // (B, P, D)
        return [ids, codes];
    }
}

public static partial class LayerFactory
{
    public static CodebookQuantizer CodebookQuantizer(Tensor codebook, bool normalizeInputs = true, double eps = 1e-12,
        int coarseTokens = 0, int coarseVocabulary = 0, int positions = 0) =>
        new(codebook, normalizeInputs, eps, coarseTokens, coarseVocabulary, positions);
}
