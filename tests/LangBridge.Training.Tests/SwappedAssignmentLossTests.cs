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
}
