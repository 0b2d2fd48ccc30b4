using LangBridge.Training.Captions;
using LangBridge.Training.Clippo;
using LangBridge.Training.Limber;
using LangBridge.Training.Losses;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Vlap;

/// <summary>
/// LiMBeR's training step (the same captions, drawn the same way, on the same batches) plus, per encoder, VLAP's
/// assignment term: the mean soft token's word scores and the caption's text-feature word scores predict each
/// other's Sinkhorn assignment.
/// </summary>
internal sealed class VlapTrainingTask : ITrainingTask
{
    private readonly VlapKindModel model;
    private readonly Dictionary<LimberEncoder, Tensor> features;                                   // (N, F) each
    private readonly SwappedAssignmentLoss assignment;
    private readonly Tensor? logPrior;                                                              // (V)
    // The frozen LM reads a caption the same way every time, and the templates make a few hundred distinct ones.
    private readonly Dictionary<string, float[]> textFeatures = new(StringComparer.Ordinal);

    public VlapTrainingTask(VlapKindModel model)
    {
        this.model = model;
        var shared = model.Shared;
        features = shared.Encoders.ToDictionary(e => e, shared.TrainFeatures);
        var a = model.VlapRecipe.Assignment;
        assignment = new SwappedAssignmentLoss(a.Temperature, a.Epsilon, a.Iterations);
        logPrior = a.Prior == VlapPrior.Uniform ? null : model.Prior.Log();
        ParameterGroups = [new ParameterGroup(LimberTrainingTask.Group, shared.Model.parameters().Where(p => p.requires_grad).ToList())];
    }

    public long ExampleCount => model.Shared.Train.Count;

    public IReadOnlyList<ParameterGroup> ParameterGroups { get; }

    public IReadOnlyDictionary<string, Tensor> Loss(TrainingPhase phase, int step, Tensor indices)
    {
        var shared = model.Shared;
        var lm = shared.Model;
        var idx = indices.data<long>().ToArray();
        int seed = shared.LimberRecipe.Seed;
        var captions = idx.Select(i => shared.Captions.Caption(shared.Train.Labels[(int)i], shared.TrainAttributes[i], CaptionSplit.Train,
            ClippoTrainingTask.Variant(seed, i, step))).ToArray();
        using var targets = lm.Targets(captions);
        using var text = TextFeatures(captions);                                                     // (B, D)
        using var textScores = model.Words.Scores(text);                                             // (B, V), no grad
        var terms = new Dictionary<string, Tensor>();
        Tensor? total = null;
        double weight = model.VlapRecipe.Assignment.Weight;
        foreach (var (encoder, all) in features)
        {
            using var batch = all.index_select(0, indices);                                           // (B, F)
            var caption = lm.CaptionLoss(lm.Prefix(encoder, batch), targets).mean();
            using var soft = lm.Bridge(encoder).call(batch);                                         // (B, k, D), no dropout
            var assign = assignment.Compute(model.Words.Scores(WordSpace.Mapped(soft)), textScores, logPrior);
            terms["caption_" + encoder.Key()] = caption.detach();
            terms["assign_" + encoder.Key()] = assign.detach();
            var loss = caption + assign * weight;
            total = total is null ? loss : total + loss;
        }
        terms["loss"] = total!;
        return terms;
    }

    /// <summary>The text features (B, D) of <paramref name="captions"/>, each computed once by the frozen LM and then remembered.</summary>
    private Tensor TextFeatures(IReadOnlyList<string> captions)
    {
        var missing = captions.Distinct().Where(c => !textFeatures.ContainsKey(c)).ToArray();
        if (missing.Length > 0)
        {
            using var targets = model.Shared.Model.Targets(missing);
            using var features = WordSpace.TextFeatures(model.Shared.Model, targets, model.VlapRecipe.Assignment.Text);
            var d = (int)features.shape[1];
            var all = features.data<float>().ToArray();
            for (int i = 0; i < missing.Length; i++) textFeatures[missing[i]] = all[(i * d)..((i + 1) * d)];
        }
        return tensor(captions.SelectMany(c => textFeatures[c]).ToArray()).view(captions.Count, -1);
    }

    public void Dispose()
    {
        foreach (var f in features.Values) f.Dispose();
        logPrior?.Dispose();
    }
}
