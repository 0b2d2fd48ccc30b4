using System.Text.Json;
using System.Text.Json.Serialization;

namespace LangBridge.Runtime;

/// <summary>What a captioning bundle's <c>captioner.json</c> says: the prompt, the soft tokens, end of text and the LM's shape.</summary>
public sealed record CaptionerSettings
{
    /// <summary>The text every caption continues.</summary>
    [JsonPropertyName("prompt")] public required string Prompt { get; init; }
    /// <summary>The prompt's token ids (as training tokenised it).</summary>
    [JsonPropertyName("prompt_ids")] public required long[] PromptIds { get; init; }
    /// <summary>Soft tokens the bridge makes of an image.</summary>
    [JsonPropertyName("soft_tokens")] public int SoftTokens { get; init; }
    /// <summary>Id of the end-of-text token.</summary>
    [JsonPropertyName("end_of_text_id")] public int EndOfTextId { get; init; }
    /// <summary>The encoder the bundle's bridge was trained on.</summary>
    [JsonPropertyName("encoder")] public string Encoder { get; init; } = "";
    /// <summary>Positions the LM has: soft tokens + prompt + caption.</summary>
    [JsonPropertyName("context_length")] public int ContextLength { get; init; }
    /// <summary>Transformer blocks (one key/value pair of cache tensors each).</summary>
    [JsonPropertyName("layers")] public int Layers { get; init; }
    /// <summary>Attention heads.</summary>
    [JsonPropertyName("heads")] public int Heads { get; init; }
    /// <summary>Dimensions per head.</summary>
    [JsonPropertyName("head_size")] public int HeadSize { get; init; }
    /// <summary>The LM's embedding width (heads × head size).</summary>
    [JsonPropertyName("width")] public int Width { get; init; }
    /// <summary>Tokens in the vocabulary.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }
    /// <summary>The bundle file of GPT-2's <c>vocab.json</c>.</summary>
    [JsonPropertyName("vocab")] public string Vocab { get; init; } = "vocab.json";
    /// <summary>The bundle file of GPT-2's <c>merges.txt</c>.</summary>
    [JsonPropertyName("merges")] public string Merges { get; init; } = "merges.txt";

    /// <summary>Parses and checks <c>captioner.json</c>.</summary>
    /// <exception cref="BundleFormatException">The file is not valid JSON, misses a field or holds an impossible value.</exception>
    public static CaptionerSettings Parse(byte[] json, string file)
    {
        CaptionerSettings? s;
        try
        {
            s = JsonSerializer.Deserialize<CaptionerSettings>(json);
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(file, $"'{file}' is not a captioner description: {e.Message}", e);
        }
        if (s is null) throw new BundleFormatException(file, $"'{file}' is empty.");
        void Require(bool ok, string what)
        {
            if (!ok) throw new BundleFormatException(file, $"'{file}': {what}. Re-export the bundle.");
        }
        Require(s.PromptIds.Length > 0, "prompt_ids is empty");
        Require(s.SoftTokens > 0, "soft_tokens must be positive");
        Require(s.Layers > 0 && s.Heads > 0 && s.HeadSize > 0 && s.Width == s.Heads * s.HeadSize, "layers, heads, head_size and width do not describe a transformer");
        Require(s.VocabSize > 0 && s.EndOfTextId >= 0 && s.EndOfTextId < s.VocabSize, "end_of_text_id is outside the vocabulary");
        Require(s.ContextLength > s.SoftTokens + s.PromptIds.Length, "the context leaves no room after the soft tokens and the prompt");
        Require(s.PromptIds.All(i => i >= 0 && i < s.VocabSize), "a prompt id is outside the vocabulary");
        return s;
    }
}
