namespace LangBridge.Data.Tests;

public class LanguageCodebookTests
{
    private static LanguageCodebook Sample() =>
        new(["the", "cat", "t-shirt"], [1f, 2f, 3f, 4f, 5f, 6f], 2, [0, 5, 9]);

    [Fact]
    public void Save_and_load_round_trip()
    {
        using var dir = new TempDir();
        Sample().Save(dir.Path, new Dictionary<string, string> { ["source"] = "test" });

        var cb = LanguageCodebook.Load(dir.Path);

        Assert.Equal(["the", "cat", "t-shirt"], cb.Words);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, cb.Vectors);
        Assert.Equal(2, cb.Dimension);
        Assert.Equal(new long[] { 0, 5, 9 }, cb.SourceRanks);
        Assert.Equal(2, cb.IndexOf("t-shirt"));
        Assert.Equal(-1, cb.IndexOf("dog"));
        Assert.Equal(new[] { 3f, 4f }, cb.Vector(cb.IndexOf("cat")).ToArray());
        Assert.Equal("the\ncat\nt-shirt\n", File.ReadAllText(Path.Combine(dir.Path, LanguageCodebook.VocabFile)));
        using var file = Safetensors.Open(Path.Combine(dir.Path, LanguageCodebook.TensorFile));
        Assert.Equal(new long[] { 3, 2 }, file.Get(LanguageCodebook.EmbeddingsTensor).Shape);
        Assert.Equal("test", file.Metadata["source"]);
    }

    [Fact]
    public void Bring_your_own_safetensors_picks_the_only_matrix_and_checks_rows_against_the_vocabulary()
    {
        using var dir = new TempDir();
        var tensors = dir.File("model.safetensors");
        Safetensors.WriteFile(tensors, [SafeTensor.Float32("model.embed_tokens.weight", [3, 2], [1, 2, 3, 4, 5, 6]), SafeTensor.Float32("bias", [2], [0, 0])]);
        var vocab = dir.File("vocab.txt");
        File.WriteAllLines(vocab, ["a", "b", "c"]);

        var cb = LanguageCodebook.LoadSafetensors(tensors, vocab);
        Assert.Equal(3, cb.Count);
        Assert.Equal(new[] { 5f, 6f }, cb.Vector(cb.IndexOf("c")).ToArray());

        File.WriteAllLines(vocab, ["a", "b", "c", "d"]);
        var e = Assert.Throws<CodebookFormatException>(() => LanguageCodebook.LoadSafetensors(tensors, vocab));
        Assert.Equal(vocab, e.FilePath);
        Assert.Contains("3 words", e.Expected);
        Assert.Contains("4 lines", e.Found);
    }

    [Fact]
    public void Vocabulary_with_a_duplicate_word_is_rejected()
    {
        using var dir = new TempDir();
        var tensors = dir.File("e.safetensors");
        Safetensors.WriteFile(tensors, [SafeTensor.Float32("embeddings", [3, 1], [1, 2, 3])]);
        var vocab = dir.File("vocab.txt");
        File.WriteAllLines(vocab, ["a", "b", "a"]);

        var e = Assert.Throws<DuplicateWordException>(() => LanguageCodebook.LoadSafetensors(tensors, vocab));
        Assert.Equal("a", e.Word);
        Assert.Equal(vocab, e.FilePath);
        Assert.Contains("rows 0 and 2", e.Found);
    }

    [Fact]
    public void A_one_dimensional_tensor_is_not_a_codebook()
    {
        using var dir = new TempDir();
        var tensors = dir.File("e.safetensors");
        Safetensors.WriteFile(tensors, [SafeTensor.Float32("embeddings", [3], [1, 2, 3])]);
        var vocab = dir.File("vocab.txt");
        File.WriteAllLines(vocab, ["a", "b", "c"]);

        var e = Assert.Throws<CodebookFormatException>(() => LanguageCodebook.LoadSafetensors(tensors, vocab));
        Assert.Contains("[V, D]", e.Expected);
    }

    [Fact]
    public void Constructor_checks_shape_and_duplicates()
    {
        Assert.Throws<CodebookFormatException>(() => new LanguageCodebook(["a", "b"], [1f, 2f, 3f], 2));
        Assert.Throws<DuplicateWordException>(() => new LanguageCodebook(["a", "a"], [1f, 2f], 1));
    }

    [Fact]
    public void Missing_cache_says_how_to_fetch()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataCacheException>(() => LanguageCodebook.Load(dir.Path));
        Assert.Contains("langbridge data fetch", e.Message);
    }

    [Fact]
    public void Glove_text_is_read()
    {
        using var dir = new TempDir();
        var path = dir.File("glove.txt");
        File.WriteAllText(path, "the 0.1 -0.2 3e-1\nof 1 2 3\r\n\nköln -1.5 0 0.5\n");

        var cb = LanguageCodebook.LoadGloveText(path);

        Assert.Equal(["the", "of", "köln"], cb.Words);
        Assert.Equal(3, cb.Dimension);
        Assert.Equal(new[] { 0.1f, -0.2f, 0.3f }, cb.Vector(0).ToArray());
        Assert.Equal(new[] { -1.5f, 0f, 0.5f }, cb.Vector(2).ToArray());
    }

    [Fact]
    public void Glove_text_with_a_duplicate_word_is_rejected()
    {
        using var dir = new TempDir();
        var path = dir.File("glove.txt");
        File.WriteAllText(path, "the 1 2\nof 3 4\nthe 5 6\n");

        var e = Assert.Throws<DuplicateWordException>(() => LanguageCodebook.LoadGloveText(path));
        Assert.Equal("the", e.Word);
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void Glove_text_rows_must_match_the_header_and_each_other()
    {
        using var dir = new TempDir();
        var headerDim = dir.File("w2v.txt");
        File.WriteAllText(headerDim, "2 3\nthe 1 2 3\nof 1 2\n");
        var e = Assert.Throws<CodebookFormatException>(() => LanguageCodebook.LoadGloveText(headerDim));
        Assert.Contains("3 values on line 3", e.Expected);
        Assert.Contains("header", e.Expected);
        Assert.Equal("2", e.Found);

        var headerCount = dir.File("count.txt");
        File.WriteAllText(headerCount, "5 2\nthe 1 2\nof 3 4\n");
        e = Assert.Throws<CodebookFormatException>(() => LanguageCodebook.LoadGloveText(headerCount));
        Assert.Contains("5 rows", e.Expected);

        var ragged = dir.File("ragged.txt");
        File.WriteAllText(ragged, "the 1 2\nof 3 4 5\n");
        Assert.Throws<CodebookFormatException>(() => LanguageCodebook.LoadGloveText(ragged));

        var notNumber = dir.File("nan.txt");
        File.WriteAllText(notNumber, "the 1 x\n");
        Assert.Contains("'x'", Assert.Throws<CodebookFormatException>(() => LanguageCodebook.LoadGloveText(notNumber)).Found);
    }
}
