using LangBridge.Training.Evaluation;

namespace LangBridge.Training.Tests.Evaluation;

/// <summary>BLEU and CIDEr-D on the worked examples of their papers, and on cases small enough to compute by hand.</summary>
public class CaptionScoresTests
{
    // Papineni et al. (2002), section 2.1: example 1's candidate 1 and its three references.
    private const string Candidate1 = "It is a guide to action which ensures that the military always obeys the commands of the party.";
    private static readonly string[] Example1References =
    [
        "It is a guide to action that ensures that the military will forever heed Party commands.",
        "It is the guiding principle which guarantees the military forces always being under the command of the Party.",
        "It is the practical guide for the army always to heed the directions of the party.",
    ];

    [Fact]
    public void Modified_unigram_precision_clips_repeats_to_the_reference_count()
    {
        // The paper's example 2: "the" seven times, at most twice in a reference → 2/7.
        Assert.Equal((2, 7), CaptionScores.ModifiedPrecision("the the the the the the the", ["The cat is on the mat.", "There is a cat on the mat."], 1));
    }

    [Fact]
    public void Papers_example_1_precisions()
    {
        Assert.Equal((17, 18), CaptionScores.ModifiedPrecision(Candidate1, Example1References, 1));   // "17/18" in the paper
        Assert.Equal((10, 17), CaptionScores.ModifiedPrecision(Candidate1, Example1References, 2));   // "10/17"
    }

    [Fact]
    public void Bleu4_is_one_for_an_exact_match_and_zero_without_a_shared_4gram()
    {
        Assert.Equal(1.0, CaptionScores.Bleu4(["a dark small shirt"], [["a dark small shirt", "a shirt"]]), 12);
        Assert.Equal(0.0, CaptionScores.Bleu4(["a dark shirt"], [["a dark small shirt"]]));
    }

    [Fact]
    public void Bleu4_by_hand_with_the_brevity_penalty()
    {
        // Candidate "the cat sat on the mat" (6 words) against "the cat sat on the red mat" (7 words):
        // p1 = 6/6, p2 = 4/5 ("the mat" is missing), p3 = 3/4, p4 = 2/3, BP = exp(1 − 7/6).
        double expected = Math.Exp(1 - 7.0 / 6) * Math.Pow(1.0 * 0.8 * 0.75 * (2.0 / 3), 0.25);
        Assert.Equal(expected, CaptionScores.Bleu4(["the cat sat on the mat"], [["the cat sat on the red mat"]]), 12);
    }

    [Fact]
    public void CiderD_by_hand_on_two_images()
    {
        // Two images with one reference each, "a cat" and "a dog": "a" is in both reference sets (idf log(2/2) = 0);
        // "cat", "dog", "a cat", "a dog" in one (idf log 2). An exact caption has cosine 1 for n = 1, 2 and no 3- or
        // 4-grams: (1 + 1 + 0 + 0) / 4 × 10 = 5. Naming the other animal shares only "a", weighted 0: score 0.
        var refs = new IReadOnlyList<string>[] { ["a cat"], ["a dog"] };
        Assert.Equal([5.0, 5.0], CaptionScores.CiderDScores(["a cat", "a dog"], refs), new ToleranceComparer(1e-12));
        Assert.Equal([0.0, 5.0], CaptionScores.CiderDScores(["a dog", "a dog"], refs), new ToleranceComparer(1e-12));
        Assert.Equal(2.5, CaptionScores.CiderD(["a dog", "a dog"], refs), 12);
    }

    [Fact]
    public void CiderD_penalises_length_and_clips_repeated_ngrams()
    {
        var refs = new IReadOnlyList<string>[] { ["a cat"], ["a dog"] };
        // "cat cat": unigram tf-idf (cat: 2·log 2) against the reference's (cat: log 2), clipped to min(2 log2, log2)·log2,
        // over norms 2·log2 and log2: cosine 1/2 for n = 1, no shared bigram; same length, no penalty: 0.5/4 × 10.
        Assert.Equal(1.25, CaptionScores.CiderDScores(["cat cat", "a dog"], refs)[0], 12);
        // One extra word ("sat", idf log 2): cosines 1/√2 for n = 1 and 2 (the new unigram and bigram add to the norm) and
        // the length penalty exp(−1/72): (2/√2) / 4 × 10 × exp(−1/72).
        Assert.Equal(10 * Math.Sqrt(2) / 4 * Math.Exp(-1.0 / 72), CaptionScores.CiderDScores(["a cat sat", "a dog"], refs)[0], 12);
    }

    [Fact]
    public void Words_drop_punctuation_and_case()
    {
        Assert.Equal(["a", "dark", "t-shirt", "isn't", "small"], CaptionScores.Words("A dark T-shirt, isn't small."));
    }

    [Fact]
    public void Mismatched_inputs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => CaptionScores.Bleu4(["a"], []));
        Assert.Throws<ArgumentException>(() => CaptionScores.CiderD(["a"], [[]]));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
