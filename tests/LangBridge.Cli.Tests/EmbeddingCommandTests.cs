using System.Text.Json;

namespace LangBridge.Cli.Tests;

/// <summary>`embed-text`, `embed` and `classify` as a user runs them: results on standard output, problems on standard error.</summary>
public sealed class EmbeddingCommandTests(EmbeddingBundles bundles) : IClassFixture<EmbeddingBundles>
{
    [Fact]
    public void EmbedText_json_holds_every_vector_and_the_cosine_matrix()
    {
        using var dir = new TempDir();
        var result = LangBridgeCli.Run(dir.Path, "embed-text", bundles.TextEncoder, "cat", "red dog . car cat dog red car", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        var embeddings = json.RootElement.GetProperty("embeddings").EnumerateArray().ToArray();
        Assert.Equal(["cat", "red dog . car cat dog red car"], embeddings.Select(e => e.GetProperty("text").GetString()));
        Assert.Equal([false, true], embeddings.Select(e => e.GetProperty("truncated").GetBoolean()));      // 8 pieces + [CLS], [SEP] > 8
        var vectors = embeddings.Select(e => e.GetProperty("vector").EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        Assert.All(vectors, v => Assert.Equal(16, v.Length));
        Assert.All(vectors, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5));
        var matrix = json.RootElement.GetProperty("similarity").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        Assert.Equal(1f, matrix[0][0], 5);
        Assert.Equal(matrix[0][1], matrix[1][0], 6);
        Assert.Equal(vectors[0].Zip(vectors[1], (a, b) => a * b).Sum(), matrix[0][1], 5);
    }

    [Fact]
    public void EmbedText_prints_each_sentence_and_the_matrix()
    {
        using var dir = new TempDir();
        var result = LangBridgeCli.Run(dir.Path, "embed-text", bundles.TextEncoder, "cat", "dog");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("[1] \"cat\": [", result.OutputLines[0]);
        Assert.Contains("norm 1.0000", result.OutputLines[0]);
        Assert.Contains(result.OutputLines, l => l.StartsWith("cosine similarity:"));
    }

    [Fact]
    public void Classify_ranks_every_label_per_image_and_reports_bad_files()
    {
        using var dir = new TempDir();
        var first = dir.File("first.png");
        File.WriteAllBytes(first, Images.Png(28, 0));
        var missing = dir.File("missing.png");
        var last = dir.File("last.png");
        File.WriteAllBytes(last, Images.Png(40, 9));

        var result = LangBridgeCli.Run(dir.Path, "classify", bundles.Clippo, first, missing, last, "--labels", string.Join(", ", EmbeddingBundles.ClippoLabels));

        Assert.Equal(1, result.ExitCode);
        Assert.True(result.OutputLines.Length == 2, result.ToString());
        foreach (var (line, path) in result.OutputLines.Zip([first, last]))
        {
            Assert.StartsWith(path + ": ", line);
            var scores = line[(path.Length + 2)..].Split(", ").Select(s => (Label: s[..s.LastIndexOf(' ')], Score: double.Parse(s[(s.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            Assert.Equal(EmbeddingBundles.ClippoLabels.Order(), scores.Select(s => s.Label).Order());
            Assert.Equal(scores.Select(s => s.Score).OrderByDescending(s => s), scores.Select(s => s.Score));
            Assert.Equal(1.0, scores.Sum(s => s.Score), 2);
        }

        Assert.Contains(result.ErrorLines, l => l.StartsWith("error: ") && l.Contains(missing));
        Assert.DoesNotContain(result.ErrorLines, l => l.TrimStart().StartsWith("at "));
    }

    [Fact]
    public void Embed_puts_images_and_texts_in_one_matrix()
    {
        using var dir = new TempDir();
        var image = dir.File("image.png");
        File.WriteAllBytes(image, Images.Png(28, 4));

        var result = LangBridgeCli.Run(dir.Path, "embed", bundles.Clippo, image, "ab cd", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        var embeddings = json.RootElement.GetProperty("embeddings").EnumerateArray().ToArray();
        Assert.Equal(["image", "text"], embeddings.Select(e => e.GetProperty("kind").GetString()));
        Assert.True(embeddings[1].GetProperty("truncated").GetBoolean());                                 // three glyphs a line, one line
        Assert.Equal(2, json.RootElement.GetProperty("similarity").GetArrayLength());
    }

    [Fact]
    public void Classify_on_a_text_encoder_bundle_is_one_error_line()
    {
        using var dir = new TempDir();
        var image = dir.File("image.png");
        File.WriteAllBytes(image, Images.Png(28, 4));

        var result = LangBridgeCli.Run(dir.Path, "classify", bundles.TextEncoder, image, "--labels", "a, b");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains("ImageEmbedder serves", line);
    }
}
