using System.Security.Cryptography;
using LangBridge.Data;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using LangBridge.Training.Captions;
using LangBridge.Training.Kinds;
using LangBridge.Training.Language;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;

namespace LangBridge.Training.Limber;

/// <summary>
/// Kind <c>limber</c>: linear bridges from frozen image encoders into a frozen causal LM (the pipeline's
/// <c>gpt</c> model or a GPT-2 folder), trained to caption Fashion-MNIST after "A picture of".
/// </summary>
public sealed class LimberKind : IModelKind
{
    public const string KindName = "limber";

    public string Name => KindName;

    public string Description => "LiMBeR: linear maps from frozen image encoders into a frozen LM's input space, for captioning";

    public IModelRecipe ParseRecipe(string json, string file) => LimberRecipe.Parse(json, file);

    public KindModel Create(IModelRecipe recipe, KindContext context)
    {
        var r = (LimberRecipe)recipe;
        return Build(r, LoadLanguageModel(r, context), context, Path.Combine(context.Run(r.Name).CheckpointDir, "features"));
    }

    /// <summary>
    /// The bridges of <paramref name="recipe"/> around <paramref name="lm"/>, over the encoder features cached in
    /// <paramref name="featureCache"/> (a kind built on LiMBeR's setting shares the LiMBeR run's cache).
    /// </summary>
    internal static LimberKindModel Build(LimberRecipe recipe, FrozenLanguageModel lm, KindContext context, string featureCache)
    {
        var (train, test, classes) = LoadImages(recipe, context);
        if (recipe.Data.TrainLimit > 0 && recipe.Data.TrainLimit < train.Count) train = train.Slice(0, recipe.Data.TrainLimit);
        test = test.Slice(0, Math.Min(recipe.Evaluation.TestLimit, test.Count));
        var features = EncoderFeatures.Load(recipe, context, train, test, featureCache);
        return new LimberKindModel(recipe, lm.Model, lm.Tokenizer, lm.Source, features, train, test, new CaptionBuilder(classes, CaptionTemplates.Continuations))
        {
            LmReport = lm.Report,
            BundleEncoderFactory = () => features.Any(f => f.Encoder == recipe.Bundle.Encoder) ? EncoderFeatures.Pooled(recipe, recipe.Bundle.Encoder, context) : null,
        };
    }

    /// <summary>The training and test images and their class words: Fashion-MNIST with WordNet's, or an image folder's with its folder names.</summary>
    private static (ImageDataset Train, ImageDataset Test, IReadOnlyList<ClassWords> Classes) LoadImages(LimberRecipe recipe, KindContext context)
    {
        if (recipe.Data.IsFashionMnist)
        {
            var data = context.RequireData("a LiMBeR model on Fashion-MNIST (its images and class words)");
            return (FashionMnist.Load(data, DataSplit.Train), FashionMnist.Load(data, DataSplit.Test),
                ClassWords.FromWordNet(WordNet.Load(data.WordNetDir), ClassWords.FashionMnistSynsets));
        }
        var root = context.Resolve(recipe.Data.Dataset);
        var options = new ImageFolderOptions { Width = recipe.Data.ImageSize ?? 28, Height = recipe.Data.ImageSize ?? 28, Channels = 1 };
        var train = ImageFolder.Load(Path.Combine(root, "train"), options);
        var test = ImageFolder.Load(Path.Combine(root, "test"), options);
        if (!train.ClassNames.SequenceEqual(test.ClassNames))
            throw new DataException($"{root}: train/ and test/ must hold the same class folders ({string.Join(", ", train.ClassNames)} vs {string.Join(", ", test.ClassNames)})");
        return (train, test, train.ClassNames.Select(name => new ClassWords(name, [], [], "")).ToArray());
    }

    /// <summary>The frozen LM: the trained checkpoint of the <c>gpt</c> recipe, or a GPT-2 folder.</summary>
    public static FrozenLanguageModel LoadLanguageModel(LimberRecipe recipe, KindContext context)
    {
        if (recipe.Lm.Folder is { } folder)
        {
            var hf = HuggingFaceGpt2.Load(context.Resolve(folder));
            return new FrozenLanguageModel(hf.Model, hf.Tokenizer, "folder " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(context.Resolve(folder), HuggingFaceGpt2.WeightsFile))))[..16], null, null);
        }
        var lmRecipe = KindRegistry.Default.LoadRecipe(context.Resolve(recipe.Lm.RecipeOrDefault));
        if (lmRecipe is not GptRecipe) throw new RecipeException("(recipe)", "lm.recipe", $"'{recipe.Lm.RecipeOrDefault}' is a {lmRecipe.Kind} recipe, not a gpt one");
        var run = context.Run(lmRecipe.Name);
        var checkpoint = run.Checkpoint;
        if (!File.Exists(checkpoint))
            throw new TrainingException($"the language model {lmRecipe.Name} is not trained yet ({checkpoint}): run `langbridge train --recipe {recipe.Lm.RecipeOrDefault}` first");
        var model = (GptKindModel)KindRegistry.Default.KindOf(lmRecipe).Create(lmRecipe, context);
        model.LoadWeights(checkpoint);
        return new FrozenLanguageModel(model.Model.Frozen(), model.Tokenizer, "checkpoint " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(checkpoint)))[..16],
            Path.Combine(run.ReportDir, "metrics.json"), model.Corpus);
    }
}

/// <summary>A frozen causal LM with its tokenizer, what it came from, its own report (a pipeline LM's) and the text it was pretrained on (null for a GPT-2 folder).</summary>
public sealed record FrozenLanguageModel(GptModel Model, BytePairTokenizer Tokenizer, string Source, string? Report, TextCorpus? Corpus);
