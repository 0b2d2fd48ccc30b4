using LangBridge.Data;
using LangBridge.Training.Captions;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Clippo;

/// <summary>
/// CLIPPO's training: each step pairs the batch's images with a freshly drawn training caption each (template,
/// name and attributes, seeded by seed, image and step) and minimises the symmetric contrastive loss.
/// </summary>
internal sealed class ClippoTrainingTask : ITrainingTask
{
    public const string Group = "all";

    private readonly ClippoModel model;
    private readonly ClippoText text;
    private readonly CaptionBuilder captions;
    private readonly Tensor images;                                                      // (N, 1, H, W) normalised
    private readonly int[] labels;
    private readonly ImageAttributes[] attributes;
    private readonly int seed;

    public ClippoTrainingTask(ClippoModel model, ClippoText text, CaptionBuilder captions, ImageDataset train)
    {
        this.model = model;
        this.text = text;
        this.captions = captions;
        seed = model.Recipe.Seed;
        images = ClippoImages.Normalised(train);
        labels = train.Labels.ToArray();
        var meter = AttributeMeter.Fit(train.Pixels, train.Count, train.ImageSize);
        attributes = Enumerable.Range(0, train.Count).Select(i => meter.Attributes(train.Image(i))).ToArray();
        ParameterGroups = [new ParameterGroup(Group, model.parameters().Where(p => p.requires_grad).ToList())];
    }

    public long ExampleCount => images.shape[0];

    public IReadOnlyList<ParameterGroup> ParameterGroups { get; }

    /// <summary>Which training caption image <paramref name="index"/> gets at <paramref name="step"/>.</summary>
    public static int Variant(int seed, long index, int step) => unchecked((int)((uint)index * 2654435761u + (uint)step * 40503u + (uint)seed * 97u));

    public IReadOnlyDictionary<string, Tensor> Loss(TrainingPhase phase, int step, Tensor indices)
    {
        var idx = indices.data<long>().ToArray();
        var batchCaptions = idx.Select(i => captions.Caption(labels[i], attributes[i], CaptionSplit.Train, Variant(seed, i, step))).ToArray();
        int b = idx.Length;
        var same = new bool[b * b];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < b; j++) same[i * b + j] = batchCaptions[i] == batchCaptions[j];
        var loss = model.ContrastiveLoss(images.index_select(0, indices), text.Inputs(batchCaptions), tensor(same).view(b, b));
        return new Dictionary<string, Tensor> { ["loss"] = loss, ["temperature"] = model.Temperature.detach() };
    }

    public void Dispose() => images.Dispose();
}

/// <summary>8-bit grey datasets as CLIPPO's normalised image tensors.</summary>
internal static class ClippoImages
{
    /// <summary>(N, 1, H, W) float32, <c>(p/255 − 0.5)/0.5</c>.</summary>
    public static Tensor Normalised(ImageDataset data)
    {
        if (data.Channels != 1) throw new DataException($"CLIPPO reads grey images; the dataset has {data.Channels} channels");
        using var scope = NewDisposeScope();
        return tensor(data.Pixels, dtype: ScalarType.Byte).view(data.Count, 1, data.Height, data.Width)
            .to_type(ScalarType.Float32).div_(255f).sub_(ClippoText.Mean).div_(ClippoText.Std).MoveToOuterDisposeScope();
    }
}
