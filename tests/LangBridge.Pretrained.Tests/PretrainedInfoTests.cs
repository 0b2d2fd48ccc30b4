namespace LangBridge.Pretrained.Tests;

/// <summary>`langbridge pretrained info`: the numbers from our port equal those from the original graph.</summary>
public class PretrainedInfoTests
{
    [Fact]
    public void NeighboursAndSentenceSimilarities_MatchTheOriginalGraph()
    {
        var info = PretrainedInfo.Compute(Originals.MiniLm, Originals.MiniLmFiles, Originals.Tokenizer,
            ["king", "shoe"], [("A man is playing a guitar.", "Someone plays an instrument."), ("A man is playing a guitar.", "Stocks fell sharply today.")]);
        Assert.Equal(2, info.Words.Count);
        foreach (var w in info.Words)
        {
            Assert.Equal(5, w.Neighbours.Count);
            Assert.All(w.Neighbours, n => Assert.Equal(n.OriginalToken, n.Token));
            Assert.All(w.Neighbours, n => Assert.Equal(n.OriginalCosine, n.Cosine, 6));
            Assert.DoesNotContain(w.Neighbours, n => n.Token == w.Word);
        }
        Assert.All(info.Pairs, p => Assert.Equal(p.OriginalCosine, p.Cosine, 5));
        // A paraphrase is closer than an unrelated sentence (the model works, not merely agrees).
        Assert.True(info.Pairs[0].Cosine > info.Pairs[1].Cosine + 0.2, $"{info.Pairs[0].Cosine} vs {info.Pairs[1].Cosine}");
    }
}
