using LangBridge.Runtime.Tests.Fixtures;

namespace LangBridge.Runtime.Tests;

/// <summary>
/// Kind <c>text-encoder</c> on the tiny text graph (hidden state = the id's embedding × its mask), where the
/// sentence embedding can be computed by hand: mean over the mask's tokens, unit length; and what sealing
/// and opening refuse.
/// </summary>
public sealed class TextEmbedderKindTests
{
    private static readonly RuntimeOptions Cpu = new() { Provider = ExecutionProvider.Cpu };

    private static TextBundle Create(TextEncoderSettings? settings = null) =>
        TextBundle.Create(
            edit: m => m with
            {
                Kind = BundleKinds.TextEncoder,
                Assets = new Dictionary<string, AssetSpec>
                {
                    ["text_vocabulary"] = new() { File = "vocab.txt", Type = AssetType.Vocabulary },
                    ["text_encoder"] = new() { File = TextEncoderSettings.FileName, Type = AssetType.TextEncoderSettings },
                },
            },
            beforeSeal: b =>
            {
                File.WriteAllText(b.PathOf("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n");    // ids 0–5, as many as the graph's table
                File.WriteAllBytes(b.PathOf(TextEncoderSettings.FileName), (settings ?? new TextEncoderSettings { MaxLength = 4 }).ToJson());
            });

    private static float[] Expected(TextBundle fixture, params int[] ids)
    {
        var mean = new double[TextBundle.Hidden];
        foreach (var id in ids)
            for (var h = 0; h < mean.Length; h++) mean[h] += fixture.Embeddings[id * TextBundle.Hidden + h] / (double)ids.Length;
        var norm = Math.Sqrt(mean.Sum(x => x * x));
        return mean.Select(x => (float)(x / norm)).ToArray();
    }

    [Fact]
    public void Embeddings_are_the_unit_mean_over_the_mask_and_cuts_are_reported()
    {
        using var fixture = Create();
        using var embedder = TextEmbedder.Open(fixture.Directory, Cpu);

        // Batched together: the first row is padded to the second's four tokens; the second is cut from five.
        var e = embedder.Embed(["hello", "hello hello HELLO"]);

        Assert.Equal((TextBundle.Hidden, 4), (embedder.Dimension, embedder.MaxLength));
        Assert.Equal(Expected(fixture, 2, 5, 3), e[0].Vector.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Equal(Expected(fixture, 2, 5, 5, 3), e[1].Vector.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Equal([false, true], e.Select(x => x.Truncated));
        Assert.Empty(embedder.Embed([]));
        Assert.Throws<ArgumentNullException>(() => embedder.Embed([null!]));
    }

    [Fact]
    public void Seal_refuses_a_text_encoder_bundle_without_its_settings()
    {
        var e = Assert.Throws<BundleFormatException>(() => TextBundle.Create(edit: m => m with { Kind = BundleKinds.TextEncoder }));

        Assert.Contains("does not fit TextEmbedder", e.Message);
        Assert.Contains("\"text_encoder\"", e.Message);
    }

    [Fact]
    public void A_special_token_missing_from_the_vocabulary_is_refused_naming_the_vocabulary()
    {
        using var fixture = Create(new TextEncoderSettings { MaxLength = 4, MaskToken = "[NOPE]" });

        var e = Assert.Throws<BundleFormatException>(() => TextEmbedder.Open(fixture.Directory, Cpu));

        Assert.Equal("vocab.txt", e.File);
        Assert.Contains("[NOPE]", e.Message);
    }

    [Fact]
    public void Settings_with_an_unknown_key_are_refused()
    {
        var json = System.Text.Encoding.UTF8.GetBytes("""{ "tokenizer": "wordpiece", "max_lenght": 64 }""");

        var e = Assert.Throws<BundleFormatException>(() => TextEncoderSettings.Parse(json, "text_encoder.json"));

        Assert.Contains("max_lenght", e.Message);
    }
}
