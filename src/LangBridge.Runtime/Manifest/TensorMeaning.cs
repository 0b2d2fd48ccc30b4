using System.Text.RegularExpressions;

namespace LangBridge.Runtime;

/// <summary>
/// What a graph input or output holds (<see cref="TensorSpec.Meaning"/>). Wrappers such as
/// <see cref="ImageTokenizer"/> find tensors by meaning rather than by position, name or dtype.
/// The set is open: any lower-case identifier (<c>[a-z][a-z0-9_]*</c>) is valid; these constants
/// are the meanings LangBridge's model kinds use.
/// </summary>
public static partial class TensorMeaning
{
    /// <summary>Images in the normalised model space of <see cref="BundleManifest.Image"/> (<c>[batch, C, H, W]</c>).</summary>
    public const string Image = "image";

    /// <summary>Continuous encoder outputs before quantisation.</summary>
    public const string Latents = "latents";

    /// <summary>Token ids into <see cref="TokenSpec.Vocabulary"/> produced or consumed by an image tokenizer.</summary>
    public const string TokenIds = "token_ids";

    /// <summary>The code (embedding) vectors of the chosen tokens.</summary>
    public const string Codes = "codes";

    /// <summary>Pooled embeddings (an image or text embedder's output).</summary>
    public const string Embeddings = "embeddings";

    /// <summary>Scores over a vocabulary (a language model's output).</summary>
    public const string Logits = "logits";

    /// <summary>Per-position hidden states (a text encoder's output).</summary>
    public const string HiddenStates = "hidden_states";

    /// <summary>Text token ids of a language model's tokenizer.</summary>
    public const string InputIds = "input_ids";

    /// <summary>1 where a position holds a token, 0 where it is padding.</summary>
    public const string AttentionMask = "attention_mask";

    /// <summary>Segment ids (BERT-style models).</summary>
    public const string TokenTypeIds = "token_type_ids";

    /// <summary>Embeddings fed to a language model instead of token ids.</summary>
    public const string InputsEmbeds = "inputs_embeds";

    /// <summary>Cached keys and values of earlier positions, fed back to a causal language model.</summary>
    public const string PastKeyValues = "past_key_values";

    /// <summary>Keys and values of all positions so far, returned by a causal language model.</summary>
    public const string PresentKeyValues = "present_key_values";

    /// <summary>Intermediate features (a bridge's input or output).</summary>
    public const string Features = "features";

    /// <summary>Text drawn as an image (CLIPPO's text encoder input, <c>[batch, 1, S, S]</c>, normalised like images).</summary>
    public const string RenderedText = "rendered_text";

    /// <summary>Cosine scores of a mapped image against every word of a vocabulary, <c>[batch, vocab]</c> (VLAP's <c>words</c> graph).</summary>
    public const string WordScores = "word_scores";

    /// <summary>The meanings LangBridge's model kinds use (the set stays open: see <see cref="IsValid"/>).</summary>
    public static IReadOnlyList<string> Known { get; } =
    [
        Image, Latents, TokenIds, Codes, Embeddings, Logits, HiddenStates, InputIds, AttentionMask,
        TokenTypeIds, InputsEmbeds, PastKeyValues, PresentKeyValues, Features, RenderedText, WordScores,
    ];

    /// <summary>Whether <paramref name="meaning"/> is a lower-case identifier (<c>[a-z][a-z0-9_]*</c>).</summary>
    public static bool IsValid(string? meaning) => meaning is not null && Identifier().IsMatch(meaning);

    // Shared with symbolic dimension names and asset types: one rule for every open name in the manifest.
    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    internal static partial Regex Identifier();
}
