using System.Text.Json;
using System.Text.Json.Serialization;

namespace LangBridge.Runtime;

/// <summary>
/// How a <c>text-encoder</c> bundle turns text into ids and hidden states into a sentence embedding: the
/// asset <c>text_encoder.json</c> (role <c>text_encoder</c>, type <see cref="AssetType.TextEncoderSettings"/>).
/// The exporter writes it with <see cref="ToJson"/>; <see cref="TextEmbedder"/> reads it with <see cref="Parse"/>.
/// </summary>
public sealed class TextEncoderSettings
{
    /// <summary>The asset's usual file name.</summary>
    public const string FileName = "text_encoder.json";

    // snake_case like the rest of the bundle's assets; unknown keys fail, so a misspelt setting is not silently ignored.
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };

    /// <summary>The tokenizer: <c>wordpiece</c> (BERT's) is the one the runtime has.</summary>
    public string Tokenizer { get; init; } = "wordpiece";

    /// <summary>Lower-case and strip accents before WordPiece (uncased BERT).</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>Longest sequence including [CLS] and [SEP]; longer texts are truncated (and reported).</summary>
    public int MaxLength { get; init; } = 256;

    /// <summary>Words longer than this many characters become the unknown token.</summary>
    public int MaxCharsPerWord { get; init; } = 100;

    /// <summary>The prefix of word pieces that continue a word.</summary>
    public string ContinuationPrefix { get; init; } = "##";

    /// <summary>Unknown-word token.</summary>
    public string UnknownToken { get; init; } = "[UNK]";

    /// <summary>The token that starts every sequence.</summary>
    public string ClassifierToken { get; init; } = "[CLS]";

    /// <summary>The token that ends every sequence.</summary>
    public string SeparatorToken { get; init; } = "[SEP]";

    /// <summary>The token that pads shorter sequences of a batch (attention mask 0).</summary>
    public string PaddingToken { get; init; } = "[PAD]";

    /// <summary>The masked-language-model token.</summary>
    public string MaskToken { get; init; } = "[MASK]";

    /// <summary>Pooling of the hidden states: <c>mean</c> (over the attention mask's tokens, as sentence-transformers trained MiniLM).</summary>
    public string Pooling { get; init; } = "mean";

    /// <summary>Whether the pooled vector is L2-normalised.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>The tokenizer options these settings describe.</summary>
    public WordPieceOptions ToWordPieceOptions() => new()
    {
        Uncased = LowerCase, MaxLength = MaxLength, MaxCharsPerWord = MaxCharsPerWord, ContinuationPrefix = ContinuationPrefix,
        Unknown = UnknownToken, Classifier = ClassifierToken, Separator = SeparatorToken, Padding = PaddingToken, Mask = MaskToken,
    };

    /// <summary>Settings for a tokenizer with <paramref name="options"/>, mean pooling, normalised.</summary>
    public static TextEncoderSettings From(WordPieceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TextEncoderSettings
        {
            LowerCase = options.Uncased, MaxLength = options.MaxLength, MaxCharsPerWord = options.MaxCharsPerWord,
            ContinuationPrefix = options.ContinuationPrefix, UnknownToken = options.Unknown, ClassifierToken = options.Classifier,
            SeparatorToken = options.Separator, PaddingToken = options.Padding, MaskToken = options.Mask,
        };
    }

    /// <summary>The settings as the asset's JSON (UTF-8).</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Reads and checks the asset; <paramref name="file"/> names it in errors.</summary>
    /// <exception cref="BundleFormatException">The JSON is invalid, has an unknown key, or a value the runtime cannot serve.</exception>
    public static TextEncoderSettings Parse(ReadOnlySpan<byte> json, string file)
    {
        TextEncoderSettings? settings;
        try
        {
            settings = JsonSerializer.Deserialize<TextEncoderSettings>(json, Json);
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(file, $"'{file}' is not valid text encoder settings: {e.Message}", e);
        }

        if (settings is null) throw new BundleFormatException(file, $"'{file}' is empty (null).");
        settings.Validate(file);
        return settings;
    }

    private void Validate(string file)
    {
        void Require(bool ok, string key, string problem)
        {
            if (!ok) throw new BundleFormatException(file, $"'{file}': \"{key}\" {problem}. Re-export the bundle.");
        }

        Require(Tokenizer == "wordpiece", "tokenizer", $"is \"{Tokenizer}\"; this runtime has the \"wordpiece\" tokenizer only");
        Require(Pooling == "mean", "pooling", $"is \"{Pooling}\"; this runtime pools by \"mean\" only");
        // TextEmbedder promises unit vectors (cosine = dot product); raw means are not served.
        Require(Normalize, "normalize", "is false; this runtime serves L2-normalised sentence embeddings only");
        Require(MaxLength >= 2, "max_length", $"is {MaxLength}; it must leave room for the classifier and separator tokens");
        Require(MaxCharsPerWord >= 1, "max_chars_per_word", $"is {MaxCharsPerWord}; it must be positive");
        foreach (var (key, token) in new[] { ("unknown_token", UnknownToken), ("classifier_token", ClassifierToken), ("separator_token", SeparatorToken),
                     ("padding_token", PaddingToken), ("mask_token", MaskToken), ("continuation_prefix", ContinuationPrefix) })
            Require(!string.IsNullOrEmpty(token), key, "is empty");
    }
}
