using LangBridge.Training.Captions;
using LangBridge.Training.Clippo;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Limber;

/// <summary>
/// Each step draws a training caption per image (template and name seeded by seed, image and step, as CLIPPO's
/// training does) and adds up every bridge's captioning loss on the same images and captions: the bridges share
/// nothing but the batch, so one run trains each as if alone, on the same data and budget.
/// </summary>
internal sealed class LimberTrainingTask : ITrainingTask
{
    public const string Group = "bridges";

    private readonly LimberKindModel model;
    private readonly Dictionary<LimberEncoder, Tensor> features;                                   // (N, F) each

    public LimberTrainingTask(LimberKindModel model)
    {
        this.model = model;
        features = model.Encoders.ToDictionary(e => e, model.TrainFeatures);
        ParameterGroups = [new ParameterGroup(Group, model.Model.parameters().Where(p => p.requires_grad).ToList())];
    }

    public long ExampleCount => model.Train.Count;

    public IReadOnlyList<ParameterGroup> ParameterGroups { get; }

    public IReadOnlyDictionary<string, Tensor> Loss(TrainingPhase phase, int step, Tensor indices)
    {
        var idx = indices.data<long>().ToArray();
        int seed = model.Recipe.Seed;
        var captions = idx.Select(i => model.Captions.Caption(model.Train.Labels[(int)i], model.TrainAttributes[i], CaptionSplit.Train,
            ClippoTrainingTask.Variant(seed, i, step))).ToArray();
        using var targets = model.Model.Targets(captions);
        var terms = new Dictionary<string, Tensor>();
        Tensor? total = null;
        foreach (var (encoder, all) in features)
        {
            var loss = model.Model.CaptionLoss(model.Model.Prefix(encoder, all.index_select(0, indices)), targets).mean();
            terms["loss_" + encoder.Key()] = loss.detach();
            total = total is null ? loss : total + loss;
        }
        terms["loss"] = total!;
        return terms;
    }

    public void Dispose()
    {
        foreach (var f in features.Values) f.Dispose();
    }
}
