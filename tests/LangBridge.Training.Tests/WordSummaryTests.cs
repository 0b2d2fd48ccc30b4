using LangBridge.Training.Reports;

namespace LangBridge.Training.Tests;

public class WordSummaryTests
{
    [Fact]
    public void MostFrequentFirstThenNearestTheMiddle()
    {
        // 3×3 grid: "sky" ×3 on the top row, "cat" in the middle, corners "a" and "b" once each.
        string[] words = ["sky", "sky", "sky", "x", "cat", "y", "a", "z", "b"];
        Assert.Equal(["sky×3", "cat", "x", "y"], WordSummary.MostFrequent(words, 3, take: 4));
    }

    [Fact]
    public void TokensBeforeTheGridCountAsTheMiddle()
    {
        string[] words = ["summary", "n", "o", "p", "q", "centre", "r", "s", "t", "u"];    // 1 extra + 3×3
        Assert.Equal(["summary", "centre"], WordSummary.MostFrequent(words, 3, take: 2));
    }
}
