using LangBridge.Data;

namespace LangBridge.Training.Recipes;

/// <summary>Loads the images and the codebook a recipe names.</summary>
public static class RecipeData
{
    /// <summary>
    /// The recipe's split: <c>fashion-mnist</c> from the data cache, otherwise an image folder holding
    /// <c>train/</c> and <c>test/</c>, each with one sub-folder per class.
    /// </summary>
    public static ImageDataset LoadImages(LqaeRecipe recipe, DataLayout layout, DataSplit split)
    {
        var d = recipe.Data;
        if (string.Equals(d.Dataset, "fashion-mnist", StringComparison.OrdinalIgnoreCase))
            return FashionMnist.Load(layout, split);
        var folder = Path.Combine(d.Dataset, split == DataSplit.Train ? "train" : "test");
        return ImageFolder.Load(folder, new ImageFolderOptions { Width = d.ImageSize, Height = d.ImageSize, Channels = d.Channels });
    }

    /// <summary>The first <c>codebook.size</c> rows of the recipe's codebook, checked against its dimension.</summary>
    public static LanguageCodebook LoadCodebook(LqaeRecipe recipe, string repositoryRoot)
    {
        var dir = Path.IsPathRooted(recipe.Codebook.Path) ? recipe.Codebook.Path : Path.Combine(repositoryRoot, recipe.Codebook.Path);
        var codebook = LanguageCodebook.Load(dir);
        if (codebook.Dimension != recipe.Codebook.Dimension)
            throw new RecipeException("(recipe)", "codebook.dimension",
                $"the codebook in {dir} has dimension {codebook.Dimension}, the recipe says {recipe.Codebook.Dimension}");
        if (codebook.Count < recipe.Codebook.Size)
            throw new RecipeException("(recipe)", "codebook.size",
                $"the codebook in {dir} has {codebook.Count} words, the recipe asks for {recipe.Codebook.Size}");
        int n = recipe.Codebook.Size;
        return codebook.Count == n
            ? codebook
            : new LanguageCodebook(codebook.Words.Take(n).ToArray(), codebook.Vectors[..(n * codebook.Dimension)], codebook.Dimension,
                codebook.SourceRanks?[..n], dir);
    }
}
