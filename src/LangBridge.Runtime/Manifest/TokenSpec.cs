namespace LangBridge.Runtime;

/// <summary>
/// How many tokens an image becomes, how they are laid out, and the vocabulary they index.
/// </summary>
public sealed record TokenSpec
{
    /// <summary>Tokens per image (the sum of <see cref="Levels"/>).</summary>
    public required int PerImage { get; init; }

    /// <summary>Spatial grid of the (finest) token level, e.g. <c>[7, 7]</c>.</summary>
    public IReadOnlyList<int>? Grid { get; init; }

    /// <summary>Token count per pyramid level, coarse to fine (one level for LQAE).</summary>
    public IReadOnlyList<int>? Levels { get; init; }

    /// <summary>Vocabulary file in the bundle: one word per line, line <c>i</c> = token id <c>i</c>.</summary>
    public required string Vocabulary { get; init; }

    /// <summary>Number of words in the vocabulary (= lines in the vocabulary file).</summary>
    public required int VocabularySize { get; init; }

    /// <summary>Dimension of the codebook vectors (the language model's embedding size).</summary>
    public required int EmbeddingDim { get; init; }
}
