using LangBridge.Training.Evaluation;

namespace LangBridge.Training.Tests;

public class FewShotEvaluatorTests
{
    // Class 0: two identical images and an outlier sharing nothing; class 1: three identical images that share
    // four of six tokens with class 0's pair. A query from the pair has its twin as nearest neighbour (6 > 4)
    // but loses the class vote (6 + 0 < 4 + 4); the outlier ties everywhere; class-1 queries win either way.
    private static readonly long[][] Tokens =
    [
        [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6], [20, 21, 22, 23, 24, 25],
        [1, 2, 3, 4, 30, 31], [1, 2, 3, 4, 30, 31], [1, 2, 3, 4, 30, 31],
    ];
    private static readonly int[] Labels = [0, 0, 0, 1, 1, 1];

    [Fact]
    public void NearestNeighbourAndClassVoteWeighShotsDifferently()
    {
        // Expected: nearest neighbour (1 + 2/3 + 1/3 · 1/2) / 2 ≈ 0.917; class vote (1 + 1/3 · 1/2) / 2 ≈ 0.583.
        double nearest = FewShotEvaluator.Accuracy(Tokens, Labels, ways: 2, shots: 2, queriesPerClass: 1, episodes: 3000, seed: 7);
        double vote = FewShotEvaluator.Accuracy(Tokens, Labels, 2, 2, 1, 3000, 7, FewShotRule.ClassVote);
        Assert.InRange(nearest, 0.88, 0.95);
        Assert.InRange(vote, 0.55, 0.62);
    }

    [Fact]
    public void OneShotRulesAgree()
    {
        Assert.Equal(
            FewShotEvaluator.Accuracy(Tokens, Labels, 2, 1, 2, 500, 3),
            FewShotEvaluator.Accuracy(Tokens, Labels, 2, 1, 2, 500, 3, FewShotRule.ClassVote));
    }

    [Fact]
    public void PixelBaselineIsPerfectOnSeparatedClassesAndAtChanceOnShuffledLabels()
    {
        // Three 4-pixel classes: dark, mid-grey and bright, each image jittered by a few levels. The nearest
        // neighbour in pixel space is always of the query's class, so the baseline scores 1.
        var random = new Random(2);
        var labels = Enumerable.Range(0, 30).Select(i => i % 3).ToArray();
        var pixels = labels.SelectMany(c => Enumerable.Range(0, 4).Select(_ => (byte)(c * 100 + random.Next(10)))).ToArray();
        Assert.Equal(1.0, FewShotEvaluator.PixelAccuracy(pixels, 4, labels, ways: 3, shots: 2, queriesPerClass: 2, episodes: 200, seed: 5));
        // With the labels shuffled against the pixels, it is at chance (1/3).
        var shuffled = labels.OrderBy(_ => random.Next()).ToArray();
        Assert.InRange(FewShotEvaluator.PixelAccuracy(pixels, 4, shuffled, 3, 2, 2, 2000, 5), 0.25, 0.42);
    }

    [Fact]
    public void PixelBaselineNeedsOneLabelPerImage()
    {
        Assert.Throws<ArgumentException>(() => FewShotEvaluator.PixelAccuracy(new byte[10], 4, [0, 1], 2, 1, 1, 1, 0));
    }

    [Fact]
    public void TooFewImagesPerClassIsAnError()
    {
        // A user-level error (the evaluation set is too small), reported by the CLI as one line.
        var error = Assert.Throws<LangBridge.Data.DataException>(() => FewShotEvaluator.Accuracy(Tokens, Labels, 2, 3, 1, 10, 0));
        Assert.Contains("2-way 3-shot", error.Message);
    }
}
