using LangBridge.Training.Losses;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests;

public class SwappedAssignmentLossTests
{
    [Fact]
    public void AssignmentRowsAreDistributionsAndWordsShareTheMass()
    {
        var g = new Generator(3);
        // Every row prefers word 0: without balancing, one word would take the whole batch.
        var scores = rand(64, 8, generator: g) * 0.2 + tensor(new float[] { 1, 0, 0, 0, 0, 0, 0, 0 });
        var q = new SwappedAssignmentLoss(Epsilon: 0.05, Iterations: 20).Assign(scores);   // (64, 8)
        Assert.True(q.sum(1).allclose(ones(64), atol: 1e-4));
        // After enough iterations each word holds about 64 / 8 rows' worth of mass.
        Assert.True(q.sum(0L).allclose(ones(8) * 8, atol: 0.05), string.Join(", ", q.sum(0L).data<float>().ToArray()));
        Assert.False(q.requires_grad);
    }

    [Fact]
    public void AgreeingViewsCostLessThanDisagreeingOnes()
    {
        var g = new Generator(4);
        var a = randn(32, 16, generator: g);
        var loss = new SwappedAssignmentLoss();
        var same = loss.Compute(a, a.clone()).item<float>();
        var other = loss.Compute(a, randn(32, 16, generator: g)).item<float>();
        Assert.True(same < other, $"same views {same}, unrelated views {other}");
    }

    [Fact]
    public void GradientsReachBothViews()
    {
        var g = new Generator(5);
        var a = randn(16, 8, generator: g).requires_grad_(true);
        var b = randn(16, 8, generator: g).requires_grad_(true);
        new SwappedAssignmentLoss().Compute(a, b).backward();
        Assert.True(a.grad!.abs().sum().item<float>() > 0);
        Assert.True(b.grad!.abs().sum().item<float>() > 0);
    }

    /// <summary>Every 0/1 plan sending each row to one word with the word counts given; the best total score (brute force).</summary>
    private static int[] BestPlan(float[,] scores, int[] counts)
    {
        int m = scores.GetLength(0), v = scores.GetLength(1);
        int[]? best = null;
        double bestScore = double.NegativeInfinity;
        var plan = new int[m];
        void Search(int row)
        {
            if (row == m)
            {
                if (Enumerable.Range(0, v).Any(w => plan.Count(p => p == w) != counts[w])) return;
                double total = Enumerable.Range(0, m).Sum(r => scores[r, plan[r]]);
                if (total > bestScore) { bestScore = total; best = (int[])plan.Clone(); }
                return;
            }
            for (int w = 0; w < v; w++) { plan[row] = w; Search(row + 1); }
        }
        Search(0);
        return best!;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SharpSinkhornFindsTheOptimalTransportPlanOfATinyProblem(bool withPrior)
    {
        // Uniform marginals: 3 images × 3 words, one image each; the prior (½, ¼, ¼): 4 images, two to the first word.
        int rows = withPrior ? 4 : 3;
        int[] counts = withPrior ? [2, 1, 1] : [1, 1, 1];
        var scores = rand(rows, 3, generator: new Generator(withPrior ? 8UL : 9UL)) * 2 - 1;   // cosine-like, in [−1, 1]
        var s = new float[rows, 3];
        for (int r = 0; r < rows; r++) for (int w = 0; w < 3; w++) s[r, w] = scores[r, w].item<float>();
        var prior = tensor(new float[] { 0.5f, 0.25f, 0.25f }).log();
        var best = BestPlan(s, counts);
        double optimum = Enumerable.Range(0, rows).Sum(r => s[r, best[r]]);
        // ε = 0.01 (VLAP's) would overflow exp outside the log domain: scores / ε reach ±100.
        var q = new SwappedAssignmentLoss(Epsilon: 0.01, Iterations: 500).Assign(scores, withPrior ? prior : null);
        Assert.False(q.isnan().any().item<bool>());
        Assert.True(q.sum(1).allclose(ones(rows), atol: 1e-4));
        Assert.True(q.sum(0L).allclose(tensor(counts.Select(c => (float)c).ToArray()), atol: 0.01), string.Join(", ", q.sum(0L).data<float>().ToArray()));
        // Its score is the optimal plan's (up to the entropy ε allows; a tie may split a row between equally good plans).
        double achieved = (q * scores).sum().item<float>();
        Assert.True(achieved > optimum - 0.02, $"Sinkhorn plan scores {achieved}, the optimal plan {optimum} (rows to words: {string.Join(", ", best)})");
        double uniform = scores.sum().item<float>() / 3;
        Assert.True(optimum - uniform > 0.1, "the problem must be one where assignment matters");
    }

    [Fact]
    public void ThePriorSetsEachWordsShareOfTheBatch()
    {
        var g = new Generator(6);
        var scores = rand(200, 4, generator: g) * 0.1;
        var prior = tensor(new float[] { 0.4f, 0.3f, 0.2f, 0.1f });
        var q = new SwappedAssignmentLoss(Epsilon: 0.05, Iterations: 50).Assign(scores, prior.log());
        Assert.True(q.sum(0L).div(200).allclose(prior, atol: 0.01), string.Join(", ", q.sum(0L).data<float>().ToArray()));
    }
}
