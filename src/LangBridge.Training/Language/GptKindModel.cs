using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using LangBridge.Training.Kinds;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Language;

/// <summary>A <see cref="GptModel"/> with its corpus and tokenizer, as the pipeline drives it.</summary>
public sealed class GptKindModel : KindModel
{
    private readonly GptRecipe recipe;
    private readonly Dictionary<string, string> inputHashes;

    internal GptKindModel(GptRecipe recipe, TextCorpus corpus, BytePairTokenizer tokenizer)
    {
        this.recipe = recipe;
        Corpus = corpus;
        Tokenizer = tokenizer;
        Model = new GptModel(recipe.Config with { VocabSize = tokenizer.Vocabulary.Count });
        inputHashes = new() { ["tokenizer"] = GptKind.Hash(tokenizer.Vocabulary) };
    }

    public override IModelRecipe Recipe => recipe;
    public GptRecipe GptRecipe => recipe;
    public GptModel Model { get; }
    public TextCorpus Corpus { get; }
    public BytePairTokenizer Tokenizer { get; }
    public override nn.Module Module => Model;
    public override IReadOnlyDictionary<string, string> InputHashes => inputHashes;

    public override TrainingPlan TrainingPlan => TrainingPlan.From(recipe.Training,
        new TrainingPhase("main", recipe.Training.Steps, recipe.Training.WarmupSteps, new HashSet<string> { GptTrainingTask.Group }));

    public override ITrainingTask CreateTrainingTask(KindContext context)
    {
        var stream = new TokenStream(Tokenizer, Corpus.Train, recipe.Model.Context);
        context.Report($"{Corpus.Train.Count:N0} training documents, {stream.TokenCount:N0} tokens ({stream.WindowCount:N0} windows of {recipe.Model.Context}), vocabulary {Tokenizer.Vocabulary.Count:N0}");
        return new GptTrainingTask(Model, stream);
    }

    /// <summary>Windows <paramref name="indices"/> of <paramref name="stream"/> as ids (B, context + 1) int64.</summary>
    internal static Tensor Windows(TokenStream stream, IReadOnlyList<long> indices)
    {
        int w = stream.Context + 1;
        var ids = new long[indices.Count * w];
        for (int i = 0; i < indices.Count; i++)
        {
            var window = stream.Window(indices[i]);
            for (int j = 0; j < w; j++) ids[i * w + j] = window[j];
        }
        return tensor(ids, dtype: ScalarType.Int64).view(indices.Count, w);
    }

    public override string NoBundleReason => "a gpt LM has no bundle of its own: it is exported and verified inside the captioning bundles of the limber recipes built on it";

    public override BundleDefinition DefineBundle() => throw new TrainingException(NoBundleReason);

    public override VerificationPlan PlanVerification(KindContext context, int examples) => throw new TrainingException(NoBundleReason);

    public override EvaluationReport Evaluate(KindContext context, string reportDir, TrainingResult? training)
    {
        Directory.CreateDirectory(reportDir);
        var samples = Path.Combine(reportDir, GptEvaluator.SamplesFile);
        return new EvaluationReport(GptEvaluator.Evaluate(this, training, context.Log, samples), [samples]);
    }
}
