using LangBridge.Training.Checkpoints;
using LangBridge.Training.Golden;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Kinds;

/// <summary>
/// A model of a registered kind, as the generic pipeline drives it: the module checkpoints hold, how it
/// trains (<see cref="TrainingPlan"/>, <see cref="CreateTrainingTask"/>), which graphs its bundle has
/// (<see cref="DefineBundle"/>), how the bundle is checked (<see cref="PlanVerification"/>), and optionally
/// its evaluation and golden outputs. A new kind overrides these and nothing else; see
/// <c>docs/adding-a-model-kind.md</c>.
/// </summary>
public abstract class KindModel : IDisposable
{
    /// <summary>The recipe the model was built from.</summary>
    public abstract IModelRecipe Recipe { get; }

    /// <summary>The module whose state checkpoints hold (trained weights and frozen buffers alike).</summary>
    public abstract nn.Module Module { get; }

    /// <summary>Content hashes of what the weights are trained around (a codebook, a pretrained network), by name.</summary>
    public virtual IReadOnlyDictionary<string, string> InputHashes { get; } = new Dictionary<string, string>();

    /// <summary>What a checkpoint of this model must match.</summary>
    public CheckpointIdentity Identity => CheckpointIdentity.Of(Recipe, InputHashes);

    /// <summary>The optimiser settings and phases.</summary>
    public abstract TrainingPlan TrainingPlan { get; }

    /// <summary>Loads the training data and returns the task the <see cref="Trainer"/> runs.</summary>
    public abstract ITrainingTask CreateTrainingTask(KindContext context);

    /// <summary>The bundle's graphs (each a module with declared inputs and outputs), assets and manifest sections.</summary>
    public abstract BundleDefinition DefineBundle();

    /// <summary>
    /// Why this model has no bundle of its own (it ships inside another kind's bundle), or null when it has one;
    /// export and verify then report this and do nothing.
    /// </summary>
    public virtual string? NoBundleReason => null;

    /// <summary>Parity cases for every graph of <see cref="DefineBundle"/> and the end-to-end checks, on up to <paramref name="examples"/> held-out examples.</summary>
    public abstract VerificationPlan PlanVerification(KindContext context, int examples);

    /// <summary>Held-out metrics and report pictures written under <paramref name="reportDir"/>; null when the kind has none.</summary>
    public virtual EvaluationReport? Evaluate(KindContext context, string reportDir, TrainingResult? training) => null;

    /// <summary>
    /// Golden outputs of this (reference) model on the kind's fixtures in <paramref name="goldenDir"/> (taken from
    /// the data cache when the folder has none yet); null when the kind has none.
    /// </summary>
    public virtual GoldenCase? Golden(KindContext context, string goldenDir, string checkpointPath) => null;

    /// <summary>The words token ids index, for kinds with a vocabulary.</summary>
    public virtual IReadOnlyList<string>? Vocabulary => null;

    /// <summary>
    /// The words a committed reference checkpoint needs beside it to load without the data cache (its vectors are in the
    /// checkpoint); null when the model rebuilds its vocabulary from something committed anyway (a BERT folder).
    /// </summary>
    public virtual IReadOnlyList<string>? ReferenceVocabulary => Vocabulary;

    /// <summary>Called after weights were loaded from a checkpoint (rebuild derived buffers here).</summary>
    protected virtual void OnWeightsLoaded() { }

    /// <summary>Loads trained weights from <paramref name="checkpoint"/> (which must match <see cref="Identity"/>) and switches to eval mode.</summary>
    public void LoadWeights(string checkpoint)
    {
        CheckpointStore.Load(checkpoint, Module, null, Identity);
        OnWeightsLoaded();
        Module.eval();
    }

    public virtual void Dispose()
    {
        Module.Dispose();
        GC.SuppressFinalize(this);
    }
}
