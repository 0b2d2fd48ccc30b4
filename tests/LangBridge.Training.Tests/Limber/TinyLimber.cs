using LangBridge.Data;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using LangBridge.Training.Captions;
using LangBridge.Training.Language;
using LangBridge.Training.Limber;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests.Limber;

/// <summary>
/// A tiny LiMBeR setting: four classes of synthetic images (dark/light, small/large squares), a 2-layer LM
/// pretrained here on every caption the templates can make, and two feature sets, one informative (class one-hot,
/// brightness, size) and one noise, standing in for the clippo and random encoders.
/// </summary>
internal static class TinyLimber
{
    public static readonly ClassWords[] Classes =
        [new("shirt", [], [], ""), new("dress", [], [], ""), new("sandal", [], [], ""), new("coat", [], [], "")];

    public static LimberRecipe Recipe(int steps, string name = "limber-test") => LimberRecipe.Parse($$"""
        { "name": "{{name}}", "kind": "limber", "seed": 3, "encoders": ["random", "clippo"], "bundle": { "encoder": "clippo" }, "data": { "trainLimit": 0 },
          "training": { "steps": {{steps}}, "batchSize": 16, "learningRate": 0.03, "warmupSteps": 5, "checkpointEvery": 100, "logEvery": 10 },
          "evaluation": { "testLimit": 40, "maxTokens": 16, "sheetImages": 4 } }
        """, "test");

    /// <summary>Every caption the templates can make of the classes, after the prompt: the tiny LM's corpus.</summary>
    public static List<string> Texts(CaptionBuilder captions)
    {
        var texts = new List<string>();
        for (int c = 0; c < Classes.Length; c++)
            foreach (var b in new[] { "dark", "light" })
                foreach (var s in new[] { "small", "large" })
                    for (int v = 0; v < 12; v++) texts.Add("A picture of " + captions.Caption(c, new ImageAttributes(b, s), v % 2 == 0 ? CaptionSplit.Train : CaptionSplit.HeldOut, v));
        return texts;
    }

    /// <summary>A frozen 2-layer LM pretrained on <see cref="Texts"/>, and its tokenizer.</summary>
    public static (GptModel, BytePairTokenizer) LanguageModel(CaptionBuilder captions, string dir)
    {
        var texts = Texts(captions);
        var lmRecipe = GptRecipe.Parse("""
            { "name": "lm", "kind": "gpt", "tokenizer": { "vocabularySize": 300 }, "model": { "width": 32, "layers": 2, "heads": 4, "context": 32 },
              "training": { "steps": 150, "batchSize": 16, "learningRate": 0.01, "warmupSteps": 5, "checkpointEvery": 150, "logEvery": 50 },
              "evaluation": { "sampleTokens": 8 } }
            """, "lm");
        var corpus = new TextCorpus(texts, texts.Take(4).ToArray());
        var tokenizer = new BytePairTokenizer(BytePairTrainer.Train(texts, 300));
        manual_seed(7);
        var lm = new GptKindModel(lmRecipe, corpus, tokenizer);
        using var task = lm.CreateTrainingTask(new Kinds.KindContext(dir));
        new Trainer(lm.TrainingPlan, 7, lm.Module, task, lm.Identity).Train(new TrainerOptions(Path.Combine(dir, "lm.lbck"), Path.Combine(dir, "lm.jsonl")));
        return (lm.Model.Frozen(), tokenizer);
    }

    public static ImageDataset Images(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 28 * 28];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = random.Next(Classes.Length);
            int ink = random.Next(2) == 0 ? 60 : 230, extent = random.Next(2) == 0 ? 8 : 22;     // dark/light, small/large
            for (int y = 0; y < extent; y++) for (int x = 0; x < extent; x++) pixels[i * 784 + y * 28 + x] = (byte)ink;
        }
        return new ImageDataset(1, 28, 28, pixels, labels, Classes.Select(c => c.Name).ToArray());
    }

    /// <summary>Informative features (class one-hot, brightness, size, the images' own numbers) for one encoder, noise for the other.</summary>
    private static EncoderFeatureSet[] Features(ImageDataset train, ImageDataset test, ImageAttributes[] trainA, ImageAttributes[] testA)
    {
        float[] Informative(ImageDataset d, ImageAttributes[] a) => Enumerable.Range(0, d.Count).SelectMany(i =>
            Enumerable.Range(0, Classes.Length).Select(c => c == d.Labels[i] ? 1f : 0f).Concat([a[i].Brightness == "light" ? 1f : 0f, a[i].Size == "large" ? 1f : 0f])).ToArray();
        var random = new Random(5);
        float[] Noise(int n) => Enumerable.Range(0, n * 6).Select(_ => (float)random.NextDouble()).ToArray();
        return [new EncoderFeatureSet(LimberEncoder.Clippo, Informative(train, trainA), Informative(test, testA), 6, "informative"),
                new EncoderFeatureSet(LimberEncoder.Random, Noise(train.Count), Noise(test.Count), 6, "noise")];
    }

    /// <summary>The LiMBeR model of <paramref name="recipe"/> in this setting; <paramref name="lm"/> shares an LM already made (else one is pretrained in <paramref name="dir"/>).</summary>
    public static LimberKindModel Build(LimberRecipe recipe, string dir, bool withBundleEncoder = false, (GptModel, BytePairTokenizer)? lm = null)
    {
        var captions = new CaptionBuilder(Classes, CaptionTemplates.Continuations);
        var (model, tokenizer) = lm ?? LanguageModel(captions, dir);
        var train = Images(400, 1);
        var test = Images(40, 2);
        var meter = AttributeMeter.Fit(train.Pixels, train.Count, train.ImageSize);
        var trainA = Enumerable.Range(0, train.Count).Select(i => meter.Attributes(train.Image(i))).ToArray();
        var testA = Enumerable.Range(0, test.Count).Select(i => meter.Attributes(test.Image(i))).ToArray();
        // The bundle's encoder: any frozen module from a normalised image to the 6 features the bridge reads.
        manual_seed(11);
        var module = nn.Sequential(("flatten", nn.Flatten()), ("linear", nn.Linear(28 * 28, 6)));
        module.eval();
        return new LimberKindModel(recipe, model, tokenizer, "test lm", Features(train, test, trainA, testA), train, test, captions)
        {
            BundleEncoderFactory = () => withBundleEncoder ? new EncoderFeatures.PooledEncoder(module, 0.5f, 0.5f, module) : null,
        };
    }

    /// <summary>Trains <paramref name="model"/> in <paramref name="dir"/> with its own task.</summary>
    public static void Train(Kinds.KindModel model, string dir)
    {
        using (var task = model.CreateTrainingTask(new Kinds.KindContext(dir)))
            new Trainer(model.TrainingPlan, model.Recipe.Seed, model.Module, task, model.Identity).Train(new TrainerOptions(Path.Combine(dir, model.Recipe.Name + ".lbck"), Path.Combine(dir, model.Recipe.Name + ".jsonl")));
        model.Module.eval();
    }
}
