using LangBridge.Training.Kinds;
using LangBridge.Training.Limber;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Vlap;

/// <summary>
/// A VLAP model as the pipeline drives it: LiMBeR's bridges and setting (<see cref="Shared"/>, whose module the
/// checkpoints hold), the frozen LM's word space, the word prior, and the trained LiMBeR bridges to compare with.
/// </summary>
public sealed class VlapKindModel : KindModel
{
    private readonly VlapRecipe recipe;
    private readonly Dictionary<string, string> inputHashes;
    private Lazy<LimberKindModel?> limberTwin = new((LimberKindModel?)null);

    internal VlapKindModel(VlapRecipe recipe, LimberRecipe limber, LimberKindModel shared, WordPrior prior)
    {
        this.recipe = recipe;
        LimberRecipe = limber;
        Shared = shared;
        Prior = prior;
        Words = new WordSpace(shared.Model.Lm.TokenEmbeddings);
        inputHashes = new Dictionary<string, string>(shared.InputHashes) { ["limber_recipe"] = limber.Sha256, ["word_prior"] = prior.Source };
    }

    public override IModelRecipe Recipe => recipe;
    public VlapRecipe VlapRecipe => recipe;
    /// <summary>The LiMBeR recipe whose setting this model shares (under its own name).</summary>
    public LimberRecipe LimberRecipe { get; }
    /// <summary>The bridges VLAP trains, with LiMBeR's images, captions, features and LM.</summary>
    public LimberKindModel Shared { get; }
    public WordSpace Words { get; }
    public WordPrior Prior { get; }
    public override nn.Module Module => Shared.Module;
    public override IReadOnlyDictionary<string, string> InputHashes => inputHashes;
    public override TrainingPlan TrainingPlan => Shared.TrainingPlan;

    /// <summary>Loads the LiMBeR recipe's trained bridges (null when it is not trained); called when evaluating.</summary>
    public Func<LimberKindModel?> LimberTwinFactory { init => limberTwin = new(value); }

    /// <summary>The LiMBeR recipe's trained model, or null.</summary>
    public LimberKindModel? LimberTwin => limberTwin.Value;

    public override ITrainingTask CreateTrainingTask(KindContext context)
    {
        var a = recipe.Assignment;
        context.Report($"{Shared.Train.Count:N0} images, VLAP bridges for {string.Join(", ", Shared.Encoders)} in the setting of {LimberRecipe.Name}: " +
                       $"assignment weight {a.Weight}, ε {a.Epsilon}, {a.Iterations} Sinkhorn iterations, τ {a.Temperature}, text side {a.Text.ToString().ToLowerInvariant()}, prior {Prior.Source}");
        return new VlapTrainingTask(this);
    }

    public override BundleDefinition DefineBundle() => VlapBundle.Define(this);

    public override VerificationPlan PlanVerification(KindContext context, int examples) => VlapBundle.Plan(this, examples);

    public override EvaluationReport Evaluate(KindContext context, string reportDir, TrainingResult? training) =>
        VlapEvaluator.Evaluate(this, context, reportDir, training);

    public override void Dispose()
    {
        // The twin shares the frozen LM; the shared model's disposal (its module) is this model's.
        if (limberTwin.IsValueCreated) limberTwin.Value?.Dispose();
        Words.Dispose();
        Shared.Dispose();
    }
}
