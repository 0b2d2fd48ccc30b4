using LangBridge.Data;
using LangBridge.Training.Losses;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using TorchSharp;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>
/// LQAE's loss: in the main phase, the masked reconstruction through the straight-through quantizer plus
/// commitment (and the coarse words' assignment loss when the recipe asks for it; with a BERT, its
/// masked-token loss); in the decoder-only phase, the unmasked reconstruction of the final words through
/// the exported token path.
/// </summary>
internal sealed class LqaeTrainingTask : ITrainingTask
{
    public const string EncoderGroup = "encoder", DecoderGroup = "decoder";

    private readonly LqaeRecipe recipe;
    private readonly LqaeModel model;
    private readonly Tensor images;                                                      // (N, C, H, W) normalised
    private readonly SwappedAssignmentLoss? assignmentLoss;
    private readonly ImageAugmentation? augmentation;

    public LqaeTrainingTask(LqaeRecipe recipe, LqaeModel model, ImageDataset train)
    {
        this.recipe = recipe;
        this.model = model;
        images = ImageTensors.Normalised(train, recipe.Data);
        // The coarse words' invariance objective, when the recipe asks for it: a second, random view of each image.
        if (recipe.GlobalTokens?.Assignment is { } a)
        {
            assignmentLoss = new(a.Temperature, a.Epsilon, a.Iterations);
            augmentation = new(a.Shift, a.Scale, a.Flip);
        }
        // Two groups so the decoder-only phase can hold everything else still.
        var decoderHandles = model.Decoder.parameters().Select(p => p.Handle).ToHashSet();
        var trainable = model.trainable_parameters().ToList();
        ParameterGroups =
        [
            new ParameterGroup(EncoderGroup, trainable.Where(p => !decoderHandles.Contains(p.Handle)).ToList()),
            new ParameterGroup(DecoderGroup, trainable.Where(p => decoderHandles.Contains(p.Handle)).ToList()),
        ];
    }

    public long ExampleCount => images.shape[0];

    public IReadOnlyList<ParameterGroup> ParameterGroups { get; }

    public IReadOnlyDictionary<string, Tensor> Loss(TrainingPhase phase, int step, Tensor indices)
    {
        var batch = images.index_select(0, indices);                                     // (B, C, H, W)
        return phase.TrainedGroups.Contains(EncoderGroup) ? MaskedLoss(batch, step) : DecoderLoss(batch);
    }

    /// <summary>The generator of step <paramref name="step"/>'s mask: seeded by (seed, step), so a resumed run masks alike.</summary>
    public static Generator MaskGenerator(LqaeRecipe recipe, int step) => new((ulong)(recipe.Seed * 104729L + step));

    /// <summary>Loss of one masked batch (B, C, H, W) through the whole model.</summary>
    private Dictionary<string, Tensor> MaskedLoss(Tensor batch, int step)
    {
        var mask = model.TrainingMask(batch.shape[0], MaskGenerator(recipe, step));       // (B, h·w) bool
        var output = model.Forward(batch, mask);
        var reconstruction = nn.functional.mse_loss(output.Reconstruction, batch);
        var loss = reconstruction + recipe.Quantizer.Commitment * output.Commitment;
        var terms = new Dictionary<string, Tensor> { ["reconstruction"] = reconstruction, ["commitment"] = output.Commitment };
        if (output.MaskedTokenLoss is { } maskedToken)
        {
            loss = loss + recipe.Bert!.MaskedTokenWeight * maskedToken;
            terms["masked_token"] = maskedToken;
        }
        if (assignmentLoss is not null)
        {
            var background = -recipe.Data.Mean / recipe.Data.Std;                       // a black pixel, normalised
            var view = augmentation!.Apply(batch, background, new Generator((ulong)(recipe.Seed * 15485863L + step))); // (B, C, H, W)
            var assignment = assignmentLoss.Compute(model.CoarseScores(output.Latents), model.CoarseScores(model.Latents(view)));
            loss = loss + recipe.GlobalTokens!.Assignment!.Weight * assignment;
            terms["assignment"] = assignment;
        }
        return new Dictionary<string, Tensor> { ["loss"] = loss }.Concat(terms).ToDictionary();
    }

    /// <summary>Reconstruction of one unmasked batch through the exported path (final words, searched without gradients).</summary>
    private Dictionary<string, Tensor> DecoderLoss(Tensor batch)
    {
        Tensor decoded;
        if (model.Bert is { } bert)
        {
            Tensor hidden;                                                              // (B, N, D)
            using (no_grad()) hidden = bert.Read(bert.Embed(model.Encode(batch)));     // only the decoder learns: the BERT runs forward only
            decoded = model.Decoder.call(hidden);
        }
        else
        {
            decoded = model.TokenDecoder.call(model.Encode(batch));
        }
        var reconstruction = nn.functional.mse_loss(decoded, batch);
        return new() { ["loss"] = reconstruction, ["reconstruction"] = reconstruction };
    }

    public void Dispose() => images.Dispose();
}
