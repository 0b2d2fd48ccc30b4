using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Layers;

/// <summary>
/// Nearest-codebook quantizer over a frozen codebook E (K, D) (e.g. a language model's token
/// embeddings). Input latents (B, N, D) → (token ids (B, N) int64, code vectors (B, N, D) float32).
/// <para>
/// Nearest in L2 is the argmax of the score z·eᵀ − ½‖e‖² (the ‖z‖² term does not change the argmax).
/// With <see cref="NormalizeInputs"/> (LQAE style) the codebook rows are L2-normalised at
/// construction and the latents before the search; the score is then the cosine z·eᵀ.
/// </para>
/// The search lives in <see cref="SearchNearest"/> only; a faster eager search (e.g. chunked) can
/// replace it without touching the rest. In training mode the code vectors are returned with the
/// straight-through estimator (z + (e − z).detach()).
/// </summary>
public sealed class CodebookQuantizer : nn.Module<Tensor, (Tensor Ids, Tensor Codes)>, IOnnxExportable
{
    private readonly Tensor codebook;      // (K, D)
    private readonly Tensor half_norms;    // (K)

    public CodebookQuantizer(Tensor codebook, bool normalizeInputs = true, double eps = 1e-12, string name = "CodebookQuantizer") : base(name)
    {
        if (codebook.ndim != 2) throw new ArgumentException($"Codebook must be (K, D), got [{string.Join(", ", codebook.shape)}].");
        NormalizeInputs = normalizeInputs;
        Eps = eps;
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
    public long CodebookSize => codebook.shape[0];
    public long EmbeddingDim => codebook.shape[1];
    /// <summary>The (normalised, when <see cref="NormalizeInputs"/>) codebook (K, D).</summary>
    public Tensor Codebook => codebook;

    /// <summary>Latents as searched: L2-normalised when <see cref="NormalizeInputs"/>. (..., D) → (..., D).</summary>
    public Tensor Prepare(Tensor z) => NormalizeInputs ? L2Normalize.Apply(z, -1, Eps) : z.alias();

    /// <summary>Similarity of every latent to every code: (..., D) → (..., K); larger is nearer.</summary>
    public Tensor Scores(Tensor z)
    {
        using var scope = NewDisposeScope();
        var s = Prepare(z).matmul(codebook.t());                                       // (..., K)
        if (!NormalizeInputs) s = s - half_norms;
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

    /// <summary>Outputs [ids (B, N) int64, codes (B, N, D)]: MatMul against Eᵀ, ArgMax, Gather.</summary>
    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        var z = inputs[0];                                                             // (B, N, D)
        if (z.Dim(-1) != EmbeddingDim) throw new InvalidOperationException($"Latent dim {z.Dim(-1)} ≠ codebook dim {EmbeddingDim}.");
        if (NormalizeInputs) z = L2Normalize.Emit(c, z, -1, Eps);
        using var scope = NewDisposeScope();
        var codebookT = c.Weight(codebook.t(), "codebook_t");                           // (D, K)
        var scores = b.MatMul(z, codebookT);                                           // (B, N, K)
        if (!NormalizeInputs) scores = b.Sub(scores, c.Weight(half_norms, nameof(half_norms)));
        var ids = b.ArgMax(scores, axis: -1, keepDims: false);                         // (B, N) int64
        var gathered = b.Gather(codebookT, ids, axis: 1);                              // (D, B, N)
        var perm = Enumerable.Range(1, ids.Rank).Select(i => (long)i).Append(0).ToArray();
        var codes = b.Transpose(gathered, perm);                                       // (B, N, D)
        return [ids, codes];
    }
}

public static partial class LayerFactory
{
    public static CodebookQuantizer CodebookQuantizer(Tensor codebook, bool normalizeInputs = true, double eps = 1e-12) =>
        new(codebook, normalizeInputs, eps);
}
