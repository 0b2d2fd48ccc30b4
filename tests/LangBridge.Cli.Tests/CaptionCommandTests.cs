using System.Text.Json;
using LangBridge.Data;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using LangBridge.Training.Language;
using static TorchSharp.torch;

namespace LangBridge.Cli.Tests;

/// <summary>
/// LiMBeR with a bring-your-own Hugging Face GPT-2 folder through the same commands as the default LM
/// (train, evaluate, export, verify, caption), on a tiny image folder in a repository root of its own.
/// </summary>
public sealed class CaptionCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly string[] Classes = ["sandal", "shirt"];

    /// <summary>Writes the images, a tiny GPT-2 folder, the random encoder's LQAE recipe and the LiMBeR recipe; returns the recipe path.</summary>
    private string GptFolderRun()
    {
        File.WriteAllText(_dir.File("LangBridge.slnx"), "<Solution />");
        foreach (var (split, count) in new[] { ("train", 12), ("test", 6) })
            for (var c = 0; c < Classes.Length; c++)
                for (var i = 0; i < count; i++)
                    File.WriteAllBytes(_dir.File("images", split, Classes[c], $"{i}.png"), Images.Png(28, c * 20 + i));

        // A randomly initialised GPT-2 with a byte-level BPE learned from caption-like text, saved in Hugging Face's layout.
        var vocabulary = BytePairTrainer.Train(["A picture of a dark sandal.", "A picture of a light, large shirt.", "a small sandal"], 280);
        manual_seed(3);
        using (var gpt = new GptModel(new GptConfig { VocabSize = vocabulary.Count, ContextLength = 48, Width = 32, Layers = 2, Heads = 4, InnerWidth = 128 }))
            HuggingFaceGpt2.Save(_dir.File("gpt2"), gpt, vocabulary);

        // The random control encoder is LQAE's architecture; its recipe needs a codebook, never a trained checkpoint.
        const int words = 16, dimension = 8;
        new LanguageCodebook(Enumerable.Range(0, words).Select(i => $"w{i}").ToArray(), Enumerable.Range(0, words * dimension).Select(i => MathF.Sin(i * 0.7f)).ToArray(), dimension, null, "generated")
            .Save(Directory.CreateDirectory(_dir.File("codebook", "x")).Parent!.FullName);
        string Json(string path) => path.Replace("\\", "/");
        File.WriteAllText(_dir.File("lqae.json"), $$"""
            { "name": "lqae-tiny", "kind": "lqae", "seed": 1,
              "data": { "dataset": "{{Json(_dir.File("images"))}}", "imageSize": 28, "channels": 1 },
              "codebook": { "path": "{{Json(_dir.File("codebook"))}}", "size": {{words}}, "dimension": {{dimension}} },
              "encoder": { "type": "conv", "channels": 16, "downsample": 4, "residualBlocks": 0, "groups": 4 },
              "decoder": { "type": "conv", "channels": 16, "residualBlocks": 0, "groups": 4 },
              "training": { "steps": 1, "batchSize": 4, "learningRate": 0.001, "warmupSteps": 0, "checkpointEvery": 1, "logEvery": 1, "threads": 1 } }
            """);
        var recipe = _dir.File("limber-gpt2.json");
        File.WriteAllText(recipe, $$"""
            { "name": "limber-gpt2", "kind": "limber", "seed": 1,
              "data": { "dataset": "{{Json(_dir.File("images"))}}", "trainLimit": 0 },
              "lm": { "folder": "{{Json(_dir.File("gpt2"))}}" },
              "encoders": ["random"], "encoderRecipes": { "lqae": "{{Json(_dir.File("lqae.json"))}}" },
              "bundle": { "encoder": "random" },
              "training": { "steps": 6, "batchSize": 8, "learningRate": 0.01, "warmupSteps": 0, "checkpointEvery": 6, "logEvery": 2, "threads": 1 },
              "evaluation": { "testLimit": 12, "maxTokens": 5, "sheetImages": 4 } }
            """);
        return recipe;
    }

    private CliResult Run(params string[] args)
    {
        var result = LangBridgeCli.Run(_dir.Path, args);
        Assert.True(result.ExitCode == 0, $"langbridge {string.Join(' ', args)}: {result}");
        return result;
    }

    [Fact]
    public void A_gpt2_folder_trains_evaluates_exports_verifies_and_captions()
    {
        var recipe = GptFolderRun();

        Run("train", "--recipe", recipe);
        Run("evaluate", "--recipe", recipe);
        using (var metrics = JsonDocument.Parse(File.ReadAllText(_dir.File("artifacts", "reports", "limber-gpt2", "metrics.json"))))
        {
            Assert.StartsWith("folder ", metrics.RootElement.GetProperty("lm_source").GetString());
            var random = metrics.RootElement.GetProperty("encoders").GetProperty("random");
            Assert.InRange(random.GetProperty("caption_class_accuracy").GetDouble(), 0, 1);
            Assert.True(random.GetProperty("heldout_caption_perplexity").GetDouble() > 1);
        }
        Run("export", "--recipe", recipe);
        Run("verify", "--recipe", recipe, "--images", "12");
        using (var parity = JsonDocument.Parse(File.ReadAllText(_dir.File("artifacts", "bundles", "limber-gpt2", "parity.json"))))
            Assert.True(parity.RootElement.GetProperty("passed").GetBoolean());

        // Captions of images from outside the dataset, as JSON: one per image, token ids the vocabulary decodes back to the text.
        File.WriteAllBytes(_dir.File("outside", "a.png"), Images.Png(40, 7));
        File.WriteAllBytes(_dir.File("outside", "b.png"), Images.Png(28, 90));
        var json = Run("caption", _dir.File("artifacts", "bundles", "limber-gpt2"), _dir.File("outside", "a.png"), _dir.File("outside", "b.png"), "--json", "--max-tokens", "4");
        using var captions = JsonDocument.Parse(json.StandardOutput);
        var images = captions.RootElement.GetProperty("images").EnumerateArray().ToArray();
        Assert.Equal(2, images.Length);
        var tokenizer = new LangBridge.Runtime.BytePairTokenizer(LangBridge.Runtime.BytePairVocabulary.Load(_dir.File("gpt2")));
        foreach (var image in images)
        {
            var ids = image.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.InRange(ids.Length, 1, 4);
            Assert.Equal("A picture of", image.GetProperty("prompt").GetString());
            Assert.Equal(tokenizer.Decode(ids), image.GetProperty("caption").GetString());
        }

        // Plain output: one line per image, the prompt and its caption.
        var plain = Run("caption", _dir.File("artifacts", "bundles", "limber-gpt2"), _dir.File("outside", "a.png"), "--temperature", "0.7", "--seed", "5");
        Assert.Single(plain.OutputLines);
        Assert.StartsWith(_dir.File("outside", "a.png") + ": A picture of", plain.OutputLines[0]);
    }

    [Fact]
    public void Vlap_in_the_gpt2_folder_setting_trains_evaluates_exports_verifies_and_ranks_words()
    {
        var limber = GptFolderRun();
        var recipe = _dir.File("vlap-gpt2.json");
        File.WriteAllText(recipe, $$"""
            { "name": "vlap-gpt2", "kind": "vlap", "limber": "{{limber.Replace("\\", "/")}}", "seed": 1,
              "training": { "steps": 6, "batchSize": 8, "learningRate": 0.01, "warmupSteps": 0, "checkpointEvery": 6, "logEvery": 2, "threads": 1 },
              "evaluation": { "nearestWords": 3 } }
            """);

        Run("train", "--recipe", limber);
        Run("train", "--recipe", recipe);
        Run("evaluate", "--recipe", recipe);
        using (var metrics = JsonDocument.Parse(File.ReadAllText(_dir.File("artifacts", "reports", "vlap-gpt2", "metrics.json"))))
        {
            // A GPT-2 folder brings no corpus: the prior is uniform, and says so.
            Assert.StartsWith("uniform", metrics.RootElement.GetProperty("word_prior").GetString());
            var random = metrics.RootElement.GetProperty("encoders").GetProperty("random");
            Assert.InRange(random.GetProperty("zero_shot_accuracy").GetDouble(), 0, 1);
            Assert.InRange(random.GetProperty("limber").GetProperty("retrieval_i2t_r1").GetDouble(), 0, 1);
            Assert.Equal(3, random.GetProperty("nearest_words").GetProperty("sandal").GetArrayLength());
        }
        Run("export", "--recipe", recipe);
        Run("verify", "--recipe", recipe, "--images", "12");

        File.WriteAllBytes(_dir.File("outside", "a.png"), Images.Png(40, 7));
        var json = Run("words", _dir.File("artifacts", "bundles", "vlap-gpt2"), _dir.File("outside", "a.png"), "--top", "4", "--json");
        using var words = JsonDocument.Parse(json.StandardOutput);
        var ranked = words.RootElement.GetProperty("images")[0].GetProperty("words").EnumerateArray().ToArray();
        Assert.Equal(4, ranked.Length);
        var scores = ranked.Select(w => w.GetProperty("score").GetDouble()).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.All(scores, v => Assert.InRange(v, -1.0001, 1.0001));
        // The VLAP bundle is a captioning bundle too.
        Assert.Single(Run("caption", _dir.File("artifacts", "bundles", "vlap-gpt2"), _dir.File("outside", "a.png"), "--max-tokens", "3").OutputLines);
        Assert.NotEqual(0, LangBridgeCli.Run(_dir.Path, "words", _dir.File("artifacts", "bundles", "vlap-gpt2"), _dir.File("outside", "a.png"), "--top", "0").ExitCode);
    }
}
