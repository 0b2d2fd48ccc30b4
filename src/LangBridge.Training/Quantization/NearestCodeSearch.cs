using LangBridge.Layers;
using static TorchSharp.torch;

namespace LangBridge.Training.Quantization;

/// <summary>
/// Nearest-code search by maximum inner product (for L2-normalised vectors this is the nearest
/// neighbour by cosine and by L2). The hot path of training: 6,272 vectors × 32k codes × 100 dims
/// per 128-image batch.
/// </summary>
public static class NearestCodeSearch
{
    /// <summary>Reference: the whole (M, V) score matrix, then argmax. Memory grows with M·V.</summary>
    /// <param name="vectors">(M, D)</param>
    /// <param name="codesT">(D, V), the codebook transposed and contiguous.</param>
    /// <returns>(M) int64 code ids.</returns>
    public static Tensor Naive(Tensor vectors, Tensor codesT)
    {
        using var noGrad = no_grad();
        return vectors.matmul(codesT).argmax(1);   // (M, V) -> (M)
    }

    /// <summary>
    /// Tiled search: scores one (vectorTile, codeTile) block at a time and keeps a running maximum
    /// and its index per vector, so the working set stays small and no (M, V) matrix is built.
    /// Never tracks gradients. Ties resolve to the lowest index, as argmax does.
    /// </summary>
    /// <param name="vectors">(M, D)</param>
    /// <param name="codesT">(D, V), the codebook transposed and contiguous.</param>
    /// <returns>(M) int64 code ids, identical to <see cref="Naive"/>.</returns>
    public static Tensor Tiled(Tensor vectors, Tensor codesT, int vectorTile = 4096, int codeTile = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vectorTile, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(codeTile, 1);
        using var noGrad = no_grad();
        long m = vectors.shape[0], v = codesT.shape[1];
        var ids = zeros(m, dtype: ScalarType.Int64, device: vectors.device);       // (M); a NaN row keeps id 0
        // One score buffer for every tile, written in place: no per-tile allocation, and at most one
        // tile's scores alive at a time (a scope around all tiles would keep them all, i.e. the full matrix).
        using var scores = empty(Math.Min(vectorTile, m), Math.Min(codeTile, v), dtype: vectors.dtype, device: vectors.device);
        using var best = empty(scores.shape[0], dtype: vectors.dtype, device: vectors.device);
        for (long start = 0; start < m; start += vectorTile)
        {
            long rows = Math.Min(vectorTile, m - start);
            using var block = vectors.narrow(0, start, rows);                       // (m, D)
            using var bestValue = best.narrow(0, 0, rows).fill_(float.NegativeInfinity);
            using var bestIds = ids.narrow(0, start, rows);
            for (long c = 0; c < v; c += codeTile)
            {
                using var tile = NewDisposeScope();
                long width = Math.Min(codeTile, v - c);
                var s = scores.narrow(0, 0, rows).narrow(1, 0, width).addmm_(block, codesT.narrow(1, c, width), beta: 0); // (m, t)
                var (value, index) = s.max(1);                                      // (m), (m)
                // Strictly greater keeps the earlier (lower) index on ties, like argmax.
                var better = value.gt(bestValue);
                bestValue.copy_(where(better, value, bestValue));
                bestIds.copy_(where(better, index.add_(c), bestIds));
            }
        }
        return ids;
    }

    /// <summary>
    /// Search with a positional vocabulary: position p of each sequence only scores its own S codes
    /// (p, p + P, p + 2P, …), one batched matmul per call, so the work is 1/P of a full search.
    /// </summary>
    /// <param name="vectors">(B, P, D)</param>
    /// <param name="codesByPositionT">(P, D, S): column j of position p is code p + P·j.</param>
    /// <returns>(B, P) int64 code ids, the argmax of the full scores with every other code excluded.</returns>
    public static Tensor Positional(Tensor vectors, Tensor codesByPositionT)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long p = codesByPositionT.shape[0];
        var local = vectors.transpose(0, 1).bmm(codesByPositionT).argmax(-1);          // (P, B, S) -> (P, B)
        var ids = local.t() * p + arange(p, dtype: ScalarType.Int64);                  // (B, P)
        return ids.MoveToOuterDisposeScope();
    }

    /// <summary>(V, D) codebook → the (P, D, S) layout <see cref="Positional"/> reads (S = ⌊V / P⌋).</summary>
    public static Tensor CodesByPositionT(Tensor codebook, long positions)
    {
        using var scope = NewDisposeScope();
        return CodebookQuantizer.CodesByPosition(codebook, positions).transpose(1, 2).contiguous().MoveToOuterDisposeScope();
    }
}
