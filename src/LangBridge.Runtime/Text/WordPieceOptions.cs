namespace LangBridge.Runtime;

/// <summary>Settings of a <see cref="WordPieceTokenizer"/> (BERT's defaults).</summary>
public sealed class WordPieceOptions
{
    /// <summary>Lower-case and strip accents (uncased BERT).</summary>
    public bool Uncased { get; init; } = true;

    /// <summary>Longest sequence including [CLS] and [SEP]; longer inputs are truncated.</summary>
    public int MaxLength { get; init; } = 128;

    /// <summary>Words longer than this many characters become [UNK] (BERT: 100).</summary>
    public int MaxCharsPerWord { get; init; } = 100;

    /// <summary>The unknown-word token.</summary>
    public string Unknown { get; init; } = "[UNK]";

    /// <summary>The token that starts every sequence.</summary>
    public string Classifier { get; init; } = "[CLS]";

    /// <summary>The token that ends every sequence.</summary>
    public string Separator { get; init; } = "[SEP]";

    /// <summary>The token that pads a batch's shorter sequences (attention mask 0).</summary>
    public string Padding { get; init; } = "[PAD]";

    /// <summary>The masked-language-model token (must be in the vocabulary; not produced by encoding).</summary>
    public string Mask { get; init; } = "[MASK]";

    /// <summary>The prefix of word pieces that continue a word.</summary>
    public string ContinuationPrefix { get; init; } = "##";
}
