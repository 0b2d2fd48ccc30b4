using LangBridge.Data;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using LangBridge.Training.Captions;
using LangBridge.Training.Kinds;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Limber;

/// <summary>A <see cref="LimberModel"/> with its cached encoder features, images and captions, as the pipeline drives it.</summary>
public sealed class LimberKindModel : KindModel
{
    private readonly LimberRecipe recipe;
    private readonly Dictionary<string, string> inputHashes;
    private readonly Dictionary<LimberEncoder, EncoderFeatureSet> features;

    internal LimberKindModel(LimberRecipe recipe, GptModel lm, BytePairTokenizer tokenizer, string lmSource, IReadOnlyList<EncoderFeatureSet> features,
        ImageDataset train, ImageDataset test, CaptionBuilder captions)
    {
        this.recipe = recipe;
        this.features = features.ToDictionary(f => f.Encoder);
        Train = train;
        Test = test;
        Captions = captions;
        var meter = AttributeMeter.Fit(train.Pixels, train.Count, train.ImageSize);
        TrainAttributes = Enumerable.Range(0, train.Count).Select(i => meter.Attributes(train.Image(i))).ToArray();
        TestAttributes = Enumerable.Range(0, test.Count).Select(i => meter.Attributes(test.Image(i))).ToArray();
        Model = new LimberModel(lm, tokenizer, recipe.Prompt, this.features.ToDictionary(kv => kv.Key, kv => kv.Value.Dimension), recipe.Bridge.Tokens, recipe.Bridge.Dropout);
        foreach (var (encoder, set) in this.features)
        {
            using var trainFeatures = TrainFeatures(encoder);
            Model.Bridge(encoder).Standardise(trainFeatures);
        }
        inputHashes = new Dictionary<string, string> { ["lm"] = lmSource };
        foreach (var set in features) inputHashes["encoder_" + set.Encoder.Key()] = set.Source;
    }

    public override IModelRecipe Recipe => recipe;
    public LimberRecipe LimberRecipe => recipe;
    public LimberModel Model { get; }
    public ImageDataset Train { get; }
    public ImageDataset Test { get; }
    public CaptionBuilder Captions { get; }
    public ImageAttributes[] TrainAttributes { get; }
    public ImageAttributes[] TestAttributes { get; }
    /// <summary>The LM's own <c>metrics.json</c> (a pipeline-pretrained LM's), whose held-out perplexity the report repeats; null for a GPT-2 folder.</summary>
    public string? LmReport { get; init; }
    public IReadOnlyList<LimberEncoder> Encoders => features.Keys.Order().ToArray();
    public override nn.Module Module => Model;
    public override IReadOnlyDictionary<string, string> InputHashes => inputHashes;

    /// <summary>Training images' features (N, F) of <paramref name="encoder"/>.</summary>
    public Tensor TrainFeatures(LimberEncoder encoder) => tensor(features[encoder].Train).view(Train.Count, features[encoder].Dimension);

    /// <summary>Test images' features (N, F) of <paramref name="encoder"/>.</summary>
    public Tensor TestFeatures(LimberEncoder encoder) => tensor(features[encoder].Test).view(Test.Count, features[encoder].Dimension);

    public override TrainingPlan TrainingPlan => TrainingPlan.From(recipe.Training,
        new TrainingPhase("main", recipe.Training.Steps, recipe.Training.WarmupSteps, new HashSet<string> { LimberTrainingTask.Group }));

    public override ITrainingTask CreateTrainingTask(KindContext context)
    {
        context.Report($"{Train.Count:N0} images, bridges for {string.Join(", ", Encoders)} into a {Model.Lm.Config.Layers}-layer LM of width {Model.Lm.Config.Width}, " +
                       $"{recipe.Bridge.Tokens} soft token(s), prompt \"{recipe.Prompt}\"");
        return new LimberTrainingTask(this);
    }

    /// <summary>Where an encoder's features came from (a checkpoint's hash, a seed), as the checkpoint identity records it.</summary>
    public string EncoderSource(LimberEncoder encoder) => inputHashes["encoder_" + encoder.Key()];

    private Lazy<EncoderFeatures.PooledEncoder?> bundleEncoder = new((EncoderFeatures.PooledEncoder?)null);

    /// <summary>
    /// Builds the encoder the bundle serves (<see cref="LimberBundleSection.Encoder"/>) as one module; null when it is not
    /// available. Called the first time a bundle is defined, verified or benchmarked, not when the model is only trained or evaluated.
    /// </summary>
    public Func<EncoderFeatures.PooledEncoder?> BundleEncoderFactory { init => bundleEncoder = new(value); }

    /// <summary>The encoder the bundle serves as one module, or null when it is not available.</summary>
    public EncoderFeatures.PooledEncoder? BundleEncoder => bundleEncoder.Value;

    internal EncoderFeatures.PooledEncoder RequireBundleEncoder() =>
        BundleEncoder ?? throw new TrainingException($"the bundle's encoder {recipe.Bundle.Encoder} is not available (is its recipe trained?)");

    public override BundleDefinition DefineBundle() => LimberBundle.Define(this, RequireBundleEncoder());

    public override VerificationPlan PlanVerification(KindContext context, int examples) => LimberBundle.Plan(this, RequireBundleEncoder(), examples);

    public override void Dispose()
    {
        if (bundleEncoder.IsValueCreated) bundleEncoder.Value?.Dispose();
        base.Dispose();
    }

    public override EvaluationReport Evaluate(KindContext context, string reportDir, TrainingResult? training)
    {
        Directory.CreateDirectory(reportDir);
        var sheet = Path.Combine(reportDir, LimberEvaluator.SheetFile);
        var captions = Path.Combine(reportDir, LimberEvaluator.CaptionsFile);
        return new EvaluationReport(LimberEvaluator.Evaluate(this, training, context.Log, sheet, captions), [sheet, captions]);
    }
}
