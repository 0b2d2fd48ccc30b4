namespace LangBridge.Cli.Tests;

/// <summary>`encode --features` on a bundle with a frozen BERT.</summary>
public sealed class EncodeFeaturesCommandTests(TinyBertLqaeBundle bundle) : IClassFixture<TinyBertLqaeBundle>
{
    [Fact]
    public void Encode_features_prints_the_pooled_feature_and_writes_ids_words_features_and_hidden_states()
    {
        using var dir = new TempDir();
        var paths = Enumerable.Range(0, 2).Select(i => dir.File($"img{i}.png")).ToArray();
        for (var i = 0; i < paths.Length; i++) File.WriteAllBytes(paths[i], Images.Png(8, 11 * i + 1));
        var json = dir.File("features.json");

        var result = LangBridgeCli.Run(dir.Path, ["encode", bundle.Folder, .. paths, "--ids", "--features", "--features-json", json]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, result.OutputLines.Length);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        var images = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(paths, images.Select(e => e.GetProperty("image").GetString()));
        for (var i = 0; i < images.Length; i++)
        {
            var ids = images[i].GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var features = images[i].GetProperty("features").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var hidden = images[i].GetProperty("hidden_states").EnumerateArray()
                .Select(r => r.EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToArray();
            Assert.Equal(bundle.HiddenSize, features.Length);
            Assert.Equal(ids.Length, hidden.Length);
            // The pooled feature is the mean of the hidden states over the positions.
            for (var d = 0; d < features.Length; d++) Assert.Equal(hidden.Average(r => r[d]), features[d], 1e-5);
            // The line: '<image>: <ids> | <words> | <pooled feature>', the feature's values as written to the file.
            var parts = result.OutputLines[i].Split(" | ");
            Assert.Equal(3, parts.Length);
            Assert.Equal(paths[i] + ": " + string.Join(' ', ids), parts[0]);
            Assert.Equal(features, parts[2].Split(' ').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)));
        }
    }
}
