using LangBridge.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Training.Clippo;

/// <summary>
/// CLIPPO's one encoder: a ViT over the square canvas (patch embedding with learned positions, pre-norm
/// blocks, final LayerNorm, mean pooling, linear projection, L2 normalisation) shared by images (upsampled
/// to the canvas) and rendered text, plus the learned temperature. With a GloVe text tower (the two-tower
/// baseline) text goes through <see cref="TextProjection"/> instead.
/// </summary>
public sealed class ClippoModel : nn.Module
{
    private readonly Sequential encoder;
    private readonly Parameter log_temperature;
    private readonly Sequential? text_projection;
    private Sequential? imageBranch;                                                   // built after registration: not a second copy in the state

    public ClippoModel(ClippoRecipe recipe, int gloveDimension = 0) : base("ClippoModel")
    {
        recipe.Validate();
        Recipe = recipe;
        var e = recipe.Encoder;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)> { ("patch", new PatchEmbedding(1, e.Width, e.Patch, recipe.Canvas, recipe.Canvas)) };
        for (int i = 0; i < e.Depth; i++) layers.Add(($"block{i}", new VitBlock(e.Width, e.Heads)));
        layers.Add(("norm", nn.LayerNorm(e.Width)));
        layers.Add(("pool", new MeanPool(1)));                                          // (B, D)
        layers.Add(("proj", nn.Linear(e.Width, e.Embedding)));
        layers.Add(("unit", new L2Normalize(-1)));
        encoder = nn.Sequential(layers);
        log_temperature = nn.Parameter(tensor(MathF.Log(recipe.Temperature)));
        if (recipe.Text.Tower == TextTower.Glove)
            text_projection = nn.Sequential(("linear", nn.Linear(gloveDimension, e.Embedding)), ("unit", new L2Normalize(-1)));
        TextFeatures = gloveDimension;
        RegisterComponents();
    }

    public ClippoRecipe Recipe { get; }

    /// <summary>Two-tower baseline only: the width of the mean word vectors its text tower reads.</summary>
    public int TextFeatures { get; }

    /// <summary>Canvas (B, 1, S, S) → unit embeddings (B, E): the text encoder of the pixels-only model.</summary>
    public Sequential Encoder => encoder;

    /// <summary>Images (B, 1, H, W) → nearest upsampling to the canvas → the shared encoder → (B, E).</summary>
    public Sequential ImageEncoder => imageBranch ??= nn.Sequential(
        ("upsample", nn.Upsample(scale_factor: [Recipe.ImageUpsample, Recipe.ImageUpsample], mode: UpsampleMode.Nearest)),
        ("encoder", encoder));

    /// <summary>Two-tower baseline only: mean GloVe vectors (B, 100) → (B, E).</summary>
    public Sequential? TextProjection => text_projection;

    /// <summary>The softmax temperature (learned, positive).</summary>
    public Tensor Temperature => log_temperature.exp();

    /// <summary>Text inputs (rendered canvases, or mean GloVe vectors for the baseline) → (B, E).</summary>
    public Tensor EmbedText(Tensor text) => text_projection is null ? encoder.call(text) : text_projection.call(text);

    /// <summary>
    /// Symmetric InfoNCE over a batch of pairs: image i and text j are a positive pair when caption i and
    /// caption j are the same text (<paramref name="sameCaption"/>, (B, B) bool, diagonal set), so identical
    /// captions of different images are not pushed apart.
    /// </summary>
    public Tensor ContrastiveLoss(Tensor images, Tensor texts, Tensor sameCaption)
    {
        var zi = ImageEncoder.call(images);                                               // (B, E)
        var zt = EmbedText(texts);                                                        // (B, E)
        var logits = zi.matmul(zt.t()) * Temperature;                                     // (B, B)
        var targets = sameCaption.to_type(ScalarType.Float32);
        targets = targets / targets.sum(1, keepdim: true);
        var i2t = -(targets * logits.log_softmax(1)).sum(1).mean();
        var t2i = -(targets * logits.t().log_softmax(1)).sum(1).mean();
        return (i2t + t2i) / 2;
    }
}
