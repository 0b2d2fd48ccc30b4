using LangBridge.Data;
using LangBridge.Training.Kinds;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>
/// Kind <c>lqae</c>: Language-Quantized AutoEncoder. Images become words of a frozen language codebook
/// (encoder → nearest word → decoder); the bundle holds <c>encoder</c>, <c>quantizer</c> and <c>decoder</c>
/// graphs and the vocabulary, served by the runtime's <c>ImageTokenizer</c>.
/// </summary>
public sealed class LqaeKind : IModelKind
{
    public const string KindName = "lqae";

    public string Name => KindName;

    public string Description => "LQAE: image -> words of a frozen language codebook -> image";

    public IModelRecipe ParseRecipe(string json, string file) => LqaeRecipe.Parse(json, file);

    public KindModel Create(IModelRecipe recipe, KindContext context)
    {
        var r = (LqaeRecipe)recipe;
        if (r.Bert is not null)
        {
            // The BERT's weights (and so the codebook) come from the BERT, not from a vocabulary file and a checkpoint.
            if (context.Vocabulary is not null)
                throw new RecipeException("(recipe)", "bert", $"recipe '{r.Name}' is built around a BERT read from the data cache or its folder; a vocabulary file alone cannot stand in for it");
            return LqaeKindModel.Create(r, LqaeBertSource.Load(r, context));
        }
        // A vocabulary file stands in for the data cache: the vectors are then the checkpoint's (placeholders until loaded).
        var codebook = context.Vocabulary is { } vocabulary
            ? new LanguageCodebook(LanguageCodebook.ReadVocabulary(vocabulary), new float[r.Codebook.Size * r.Codebook.Dimension],
                r.Codebook.Dimension, origin: vocabulary)
            : RecipeData.LoadCodebook(r, context.RepositoryRoot);
        using var vectors = tensor(codebook.Vectors).view(codebook.Count, codebook.Dimension);
        return new LqaeKindModel(r, new LqaeModel(r, vectors), codebook, codebookIsReal: context.Vocabulary is null);
    }
}
