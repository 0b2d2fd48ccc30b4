using static TorchSharp.torch;

namespace LangBridge.Training.Losses;

/// <summary>
/// Swapped prediction of balanced word assignments (SwAV; VLAP's assignment loss): two views of the same
/// images are each assigned to the words by a few Sinkhorn iterations that spread the batch evenly over
/// them, and each view's softmax over the words is trained to predict the other view's assignment.
/// Images then share a word when they share what the views have in common, not their exact pixels.
/// </summary>
/// <param name="Temperature">Softmax temperature of the predictions (cosine scores are in [−1, 1]).</param>
/// <param name="Epsilon">Entropy regularisation of the Sinkhorn assignment; smaller is sharper.</param>
/// <param name="Iterations">Sinkhorn iterations.</param>
public sealed record SwappedAssignmentLoss(double Temperature = 0.1, double Epsilon = 0.05, int Iterations = 3)
{
    /// <summary>
    /// Loss of two views' cosine scores against the words, each (M, V) (M = images × tokens), rows
    /// matching: −½ Σ [q₂ · log softmax(s₁/τ) + q₁ · log softmax(s₂/τ)] / M. <paramref name="logPrior"/>
    /// (V), the log of a distribution over the words, is the assignments' word marginal (null: uniform).
    /// </summary>
    public Tensor Compute(Tensor scores1, Tensor scores2, Tensor? logPrior = null)
    {
        using var scope = NewDisposeScope();
        var q1 = Assign(scores1, logPrior);                                            // (M, V), no grad
        var q2 = Assign(scores2, logPrior);
        var p1 = nn.functional.log_softmax(scores1 / Temperature, 1);                  // (M, V)
        var p2 = nn.functional.log_softmax(scores2 / Temperature, 1);
        var loss = -0.5 * ((q2 * p1).sum(1) + (q1 * p2).sum(1)).mean();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Balanced soft assignment of (M, V) scores: rows sum to 1 and word v gets about M · prior(v) of the
    /// mass, M / V without a prior (Sinkhorn-Knopp in the log domain, so sharp ε does not overflow).
    /// </summary>
    public Tensor Assign(Tensor scores, Tensor? logPrior = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long m = scores.shape[0], v = scores.shape[1];
        var logQ = scores.detach() / Epsilon;                                          // (M, V)
        for (int i = 0; i < Iterations; i++)
        {
            logQ = logPrior is null
                ? logQ - logQ.logsumexp(0, keepdim: true) - Math.Log(v)                // each word: mass 1/V
                : logQ - logQ.logsumexp(0, keepdim: true) + logPrior.view(1, v);       // each word: mass prior(v)
            logQ = logQ - logQ.logsumexp(1, keepdim: true) - Math.Log(m);              // each row: mass 1/M
        }
        return (logQ + Math.Log(m)).exp().MoveToOuterDisposeScope();                    // rows sum to 1
    }
}
