using LangBridge.Runtime;
using LangBridge.Training.Language;
using Microsoft.ML.Tokenizers;

namespace LangBridge.Training.Tests.Language;

/// <summary>
/// GPT-2's byte-level BPE: our tokenizer against Microsoft.ML.Tokenizers' CodeGen tokenizer (GPT-2's algorithm on a
/// vocab.json + merges.txt pair) on a vocabulary our trainer learned, plus the rules that hold for any vocabulary.
/// </summary>
public class BytePairTokenizerTests
{
    private static readonly string[] Corpus =
    [
        "shirt: a garment worn on the upper half of the body. He wore a white shirt.",
        "dress: a one-piece garment for a woman; has skirt and bodice. She wore a long dress to the party.",
        "sandal: a shoe consisting of a sole fastened by straps to the foot.",
        "sneaker: a canvas shoe with a pliable rubber sole. The sneakers were dirty.",
        "bag: a container used for carrying money and small personal items or accessories (especially by women).",
        "coat: an outer garment that has sleeves and covers the body from shoulder down. Don't forget your coat!",
        "trouser: (usually in the plural) a garment extending from the waist to the knee or ankle, covering each leg separately.",
        "pullover: a sweater that is put on by pulling it over the head. It's 10 degrees; wear 2 pullovers.",
    ];

    private static readonly Lazy<BytePairVocabulary> Learned = new(() => BytePairTrainer.Train(Corpus, 320));

    // Runs of spaces are left to the round-trip and pattern tests: CodeGen's tokenizer adds tokens of its own for them, GPT-2 has none.
    public static TheoryData<string> SingleSpaced => new()
    {
        "He wore a white shirt.",
        "a garment worn\ton the\nupper half",
        "Don't forget your coat! It's cold, isn't it? I'll go; you'd stay; we've left; they're here.",
        "2 pullovers at 10 degrees, 3.5 kg",
        "Café naïve façade — ünïcödé “quotes” 中文 😀",
        " leading and trailing spaces ",
        "sandals!!! ... ???",
        "",
    };

    public static TheoryData<string> Texts
    {
        get
        {
            var texts = new TheoryData<string> { "a garment   worn\ton the\nupper half", "coat!  It's", "   leading and trailing spaces   " };
            foreach (var text in SingleSpaced) texts.Add(text);
            return texts;
        }
    }

    [Theory]
    [MemberData(nameof(SingleSpaced))]
    public void Ids_match_Microsofts_gpt2_style_tokenizer_on_the_same_files(string text)
    {
        var ours = new BytePairTokenizer(Learned.Value);
        var dir = Path.Combine(Path.GetTempPath(), "langbridge-bpe-" + Guid.NewGuid().ToString("N"));
        try
        {
            Learned.Value.Save(dir);
            using var vocab = File.OpenRead(Path.Combine(dir, "vocab.json"));
            using var merges = File.OpenRead(Path.Combine(dir, "merges.txt"));
            var reference = CodeGenTokenizer.Create(vocab, merges, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
            Assert.Equal(reference.EncodeToIds(text), ours.Encode(text));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Decoding_gives_back_the_text_exactly(string text)
    {
        var tokenizer = new BytePairTokenizer(Learned.Value);
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void Pieces_follow_gpt2s_pattern()
    {
        Assert.Equal(["He", " wore", " a", " shirt", "'s", " 10", "!!", " ", " x"], BytePairTokenizer.Pieces("He wore a shirt's 10!!  x").ToArray());
    }

    [Fact]
    public void Trainer_is_deterministic_and_merges_frequent_words_into_single_tokens()
    {
        var again = BytePairTrainer.Train(Corpus, 320);
        Assert.Equal(Learned.Value.Merges, again.Merges);
        Assert.Equal(320, Learned.Value.Count);
        Assert.Equal(319, Learned.Value.EndOfTextId);
        var tokenizer = new BytePairTokenizer(Learned.Value);
        Assert.Single(tokenizer.Encode(" garment"));                                     // four times in the corpus
        Assert.True(tokenizer.Encode("xylophone").Length > 3);                          // never seen: pieces
    }

    [Fact]
    public void A_vocabulary_without_every_byte_token_is_refused()
    {
        var ids = Enumerable.Range(0, 255).ToDictionary(b => ByteLevelAlphabet.Char((byte)b).ToString(), b => b);
        ids[BytePairVocabulary.EndOfTextToken] = 255;
        var e = Assert.Throws<FormatException>(() => new BytePairVocabulary(ids, []));
        Assert.Contains("byte token 255", e.Message);
    }

    [Fact]
    public void A_merge_whose_result_is_not_a_token_is_refused_with_its_line()
    {
        var dir = Path.Combine(Path.GetTempPath(), "langbridge-bpe-" + Guid.NewGuid().ToString("N"));
        try
        {
            Learned.Value.Save(dir);
            var vocab = File.ReadAllText(Path.Combine(dir, "vocab.json"));
            var e = Assert.Throws<FormatException>(() => BytePairVocabulary.Parse(vocab, "#version: 0.2\nq z\n"));
            Assert.Contains("line 2", e.Message);
            Assert.Throws<FormatException>(() => BytePairVocabulary.Parse(vocab, "#version: 0.2\nonly-one-token\n"));
            Assert.Throws<FormatException>(() => BytePairVocabulary.Parse("[1, 2]", ""));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Byte_alphabet_spells_space_as_G_dot_and_round_trips_every_byte()
    {
        Assert.Equal('Ġ', ByteLevelAlphabet.Char((byte)' '));
        Assert.Equal('a', ByteLevelAlphabet.Char((byte)'a'));
        var all = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        var bytes = new List<byte>();
        Assert.True(ByteLevelAlphabet.TryAppendBytes(ByteLevelAlphabet.Spell(all), bytes));
        Assert.Equal(all, bytes);
        Assert.Equal(256, ByteLevelAlphabet.Spell(all).Distinct().Count());
        Assert.False(ByteLevelAlphabet.TryAppendBytes("中", new List<byte>()));                  // not a byte's character
    }
}
