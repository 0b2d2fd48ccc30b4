using System.Security.Cryptography;
using LangBridge.Data;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
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
        var data = context.RequireData("a LiMBeR model (its images and class words)");
        var (lm, tokenizer, lmSource, lmReport) = LoadLanguageModel(r, context);
        var train = FashionMnist.Load(data, DataSplit.Train);
        if (r.Data.TrainLimit > 0 && r.Data.TrainLimit < train.Count) train = train.Slice(0, r.Data.TrainLimit);
        var test = FashionMnist.Load(data, DataSplit.Test);
        test = test.Slice(0, Math.Min(r.Evaluation.TestLimit, test.Count));
        var run = context.Run(r.Name);
        var features = EncoderFeatures.Load(r, context, train, test, Path.Combine(run.CheckpointDir, "features"));
        var classes = Captions.ClassWords.FromWordNet(WordNet.Load(data.WordNetDir), Captions.ClassWords.FashionMnistSynsets);
        return new LimberKindModel(r, lm, tokenizer, lmSource, features, train, test, new Captions.CaptionBuilder(classes, Captions.CaptionTemplates.Continuations))
        {
            LmReport = lmReport,
            BundleEncoderFactory = () => features.Any(f => f.Encoder == r.Bundle.Encoder) ? EncoderFeatures.Pooled(r, r.Bundle.Encoder, context) : null,
        };
    }

    /// <summary>The frozen LM: the trained checkpoint of the <c>gpt</c> recipe, or a GPT-2 folder; with what it came from and where its own report is (a recipe's).</summary>
    public static (GptModel Model, BytePairTokenizer Tokenizer, string Source, string? Report) LoadLanguageModel(LimberRecipe recipe, KindContext context)
    {
        if (recipe.Lm.Folder is { } folder)
        {
            var hf = HuggingFaceGpt2.Load(context.Resolve(folder));
            return (hf.Model, hf.Tokenizer, "folder " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(context.Resolve(folder), HuggingFaceGpt2.WeightsFile))))[..16], null);
        }
        var lmRecipe = KindRegistry.Default.LoadRecipe(context.Resolve(recipe.Lm.Recipe!));
        if (lmRecipe is not GptRecipe) throw new RecipeException("(recipe)", "lm.recipe", $"'{recipe.Lm.Recipe}' is a {lmRecipe.Kind} recipe, not a gpt one");
        var run = context.Run(lmRecipe.Name);
        var checkpoint = run.Checkpoint;
        if (!File.Exists(checkpoint))
            throw new TrainingException($"the language model {lmRecipe.Name} is not trained yet ({checkpoint}): run `langbridge train --recipe {recipe.Lm.Recipe}` first");
        var model = (GptKindModel)KindRegistry.Default.KindOf(lmRecipe).Create(lmRecipe, context);
        model.LoadWeights(checkpoint);
        return (model.Model.Frozen(), model.Tokenizer, "checkpoint " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(checkpoint)))[..16],
            Path.Combine(run.ReportDir, "metrics.json"));
    }
}
