using LangBridge.Runtime;
using BertTokenizer = Microsoft.ML.Tokenizers.BertTokenizer;
using BertOptions = Microsoft.ML.Tokenizers.BertOptions;
using Xunit.Abstractions;

namespace LangBridge.Pretrained.Tests;

/// <summary>
/// BERT's uncased WordPiece rules on tricky strings. The small vocabulary below is written for the
/// tests, so every expected id is read off it by applying the rules by hand.
/// </summary>
public class WordPieceTokenizerTests(ITestOutputHelper output)
{
    // id = line number (0-based)
    private static readonly string[] Vocab =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",      // 0-4
        "hello", "!", "cafe", "un", "##aff",               // 5-9
        "##able", ",", "world", "中", "国",                 // 10-14
        "'", "t", "don", "a", "##a",                       // 15-19
        ".", "$", "naive", "##b",                          // 20-23
    ];

    private static WordPieceTokenizer Tiny(int maxLength = 128) =>
        new(new WordPieceVocabulary(Vocab), new WordPieceOptions { MaxLength = maxLength });

    [Theory]
    [InlineData("Hello, World!", new[] { 2, 5, 11, 12, 6, 3 })]           // lower-case, punctuation split off
    [InlineData("Café", new[] { 2, 7, 3 })]                               // accent stripped (NFD, marks removed)
    [InlineData("NAÏVE", new[] { 2, 22, 3 })]                             // upper case with diaeresis
    [InlineData("unaffable", new[] { 2, 8, 9, 10, 3 })]                   // greedy longest match with ##
    [InlineData("unaffablex", new[] { 2, 1, 3 })]                         // "##x" missing: the whole word is [UNK]
    [InlineData("中国", new[] { 2, 13, 14, 3 })]                          // each CJK ideograph is its own word
    [InlineData("hello中world", new[] { 2, 5, 13, 12, 3 })]               // CJK splits inside a word
    [InlineData("don't", new[] { 2, 17, 15, 16, 3 })]                     // apostrophe is punctuation
    [InlineData("  hello\t\n\r  world  ", new[] { 2, 5, 12, 3 })]         // whitespace runs
    [InlineData("hel\u0000lo\u200B", new[] { 2, 5, 3 })]                  // NUL and zero-width space (Cf) dropped
    [InlineData("$5", new[] { 2, 21, 1, 3 })]                             // ASCII symbol is punctuation; "5" unknown
    [InlineData("hello\u00A0world", new[] { 2, 5, 12, 3 })]               // no-break space (Zs) is whitespace
    [InlineData("", new[] { 2, 3 })]
    public void Encode_FollowsBertRules(string text, int[] expected) =>
        Assert.Equal(expected, Tiny().Encode(text));

    [Fact]
    public void LongWords_Over100Chars_AreUnknown_AndExactly100AreSplit()
    {
        var t = Tiny(256);
        Assert.Equal([2, 1, 3], t.Encode(new string('a', 101)));
        // 100 chars: "a" then 99 × "##a" (longest match first: only single letters exist).
        Assert.Equal([2, 18, .. Enumerable.Repeat(19, 99), 3], t.Encode(new string('a', 100)));
        // "ab": "a" + "##b"; the greedy search tries "ab" first, which is absent.
        Assert.Equal([2, 18, 23, 3], t.Encode("ab"));
    }

    [Fact]
    public void Truncation_KeepsClsAndSep()
    {
        Assert.Equal([2, 5, 5, 3], Tiny(maxLength: 4).Encode("hello hello hello"));
        Assert.Equal([2, 5, 5, 3], Tiny(maxLength: 4).Encode("hello hello hello", out var cut));
        Assert.True(cut);
        Tiny(maxLength: 4).Encode("hello hello", out var whole);
        Assert.False(whole);                                                              // exactly at the limit: nothing cut
        Assert.Equal([false, true], Tiny(maxLength: 4).EncodeBatch(["hello", "hello hello hello"]).Truncated);
    }

    [Fact]
    public void Batch_PadsWithPadId_AndMasksPadding()
    {
        var b = Tiny().EncodeBatch(["hello", "hello world"]);
        Assert.Equal((2, 4), (b.Batch, b.Length));
        Assert.Equal([2L, 5, 3, 0, 2, 5, 12, 3], b.InputIds);
        Assert.Equal([1L, 1, 1, 0, 1, 1, 1, 1], b.AttentionMask);
    }

    [Fact]
    public void DuplicateVocabularyEntry_Fails()
    {
        var e = Assert.Throws<FormatException>(() => new WordPieceVocabulary(["[PAD]", "a", "a"]));
        Assert.Contains("'a'", e.Message);
    }

    /// <summary>The real MiniLM vocabulary: pieces derived by the rules, looked up by the test itself.</summary>
    [Fact]
    public void MiniLmVocabulary_TrickyStrings_GiveTheRulePieces()
    {
        var t = Originals.Tokenizer;
        var v = t.Vocabulary;
        Assert.Equal(30522, v.Count);
        Assert.Equal((0, 100, 101, 102, 103), (t.PaddingId, t.UnknownId, t.ClassifierId, t.SeparatorId, t.MaskId));
        int[] Ids(params string[] pieces) => [101, .. pieces.Select(v.Id), 102];
        Assert.Equal(Ids("hello", ",", "world", "!"), t.Encode("Hello,   World!"));
        Assert.Equal(Ids("cafe"), t.Encode("CAFÉ"));
        Assert.Equal(Ids("[UNK]"), t.Encode(new string('x', 101)));
        Assert.Equal(Ids("stop", "now"), t.Encode("stop\t\nnow"));                 // \t and \n are whitespace
        Assert.Equal(Ids("$", "5", "+", "3", "=", "8", "?"), t.Encode("$5 + 3 = 8?"));  // ASCII symbols are punctuation
        Assert.Equal(Ids("[UNK]", "ok"), t.Encode("\U0001F600 ok"));                // an emoji (So) is a word with no pieces
    }

    /// <summary>
    /// Microsoft.ML.Tokenizers' BertTokenizer with the same vocabulary and uncased options: where it
    /// agrees with the rules on every tricky string, it could replace ours in training; the runtime
    /// keeps the dependency-free one either way. The test records the comparison and requires ours
    /// to agree on the plain sentences, where both follow the reference.
    /// </summary>
    [Fact]
    public void MicrosoftMlTokenizers_Comparison()
    {
        var vocabPath = Path.Combine(Path.GetTempPath(), $"minilm-vocab-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(vocabPath, Originals.MiniLmFiles.Vocabulary);
        try
        {
            var ms = BertTokenizer.Create(vocabPath, new BertOptions
            {
                LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true, IndividuallyTokenizeCjk = true, ApplyBasicTokenization = true,
            });
            var ours = Originals.Tokenizer;
            string[] plain = ["A man is playing a guitar.", "The quick brown fox jumps over the lazy dog!", "unaffable antidisestablishmentarianism"];
            string[] tricky = ["Café NAÏVE résumé", "中国人 hello", "don't   stop\t\nnow", "hel\u0000lo\u200B", "$5 + 3 = 8?", new string('x', 101), "emoji 😀 ok", "ﬁne ligature"];
            foreach (var s in plain)
                Assert.Equal(ours.Encode(s), ms.EncodeToIds(s, true, true, true).ToArray());
            int agree = 0;
            foreach (var s in tricky)
            {
                var a = ours.Encode(s); var b = ms.EncodeToIds(s, true, true, true).ToArray();
                bool same = a.SequenceEqual(b);
                if (same) agree++;
                output.WriteLine($"{(same ? "same" : "DIFF")} {s.Replace("\0", "\\0")}: ours [{string.Join(",", a)}] ML.Tokenizers [{string.Join(",", b)}]");
            }
            output.WriteLine($"{agree} of {tricky.Length} tricky strings agree");
        }
        finally
        {
            File.Delete(vocabPath);
        }
    }
}
