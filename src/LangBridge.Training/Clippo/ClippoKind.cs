using LangBridge.Data;
using LangBridge.Runtime;
using LangBridge.Training.Captions;
using LangBridge.Training.Kinds;
using LangBridge.Training.Recipes;

namespace LangBridge.Training.Clippo;

/// <summary>
/// Kind <c>clippo</c>: CLIP-Pixels-Only. One ViT reads images and text rendered as pixels (GNU Unifont), trained
/// contrastively on Fashion-MNIST images and captions built from WordNet class words and measured attributes.
/// The bundle holds <c>image_encoder</c> and <c>text_encoder</c> (the same weights) and the font the runtime
/// renders text with.
/// </summary>
public sealed class ClippoKind : IModelKind
{
    public const string KindName = "clippo";

    public string Name => KindName;

    public string Description => "CLIPPO: one encoder for images and rendered text, contrastive";

    public IModelRecipe ParseRecipe(string json, string file) => ClippoRecipe.Parse(json, file);

    public KindModel Create(IModelRecipe recipe, KindContext context)
    {
        var r = (ClippoRecipe)recipe;
        var data = context.RequireData("a CLIPPO model (its font and class words)");
        var font = UnifontFont.Load(data.UnifontHex);
        var classes = ClassWords.FromWordNet(WordNet.Load(data.WordNetDir), ClassWords.FashionMnistSynsets);
        var renderer = new TextRenderer(font, new TextRenderOptions { Size = r.Canvas, Scale = r.Text.Scale });
        if (r.Text.Tower == TextTower.Glove)
        {
            var glove = LanguageCodebook.Load(context.Resolve(r.Text.Codebook.Path));
            return new ClippoKindModel(r, new ClippoModel(r, glove.Dimension), ClippoText.Glove(glove), renderer, new CaptionBuilder(classes));
        }
        return new ClippoKindModel(r, new ClippoModel(r), ClippoText.Pixels(renderer), renderer, new CaptionBuilder(classes));
    }
}
