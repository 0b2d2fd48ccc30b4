namespace LangBridge.Runtime;

/// <summary>Known values of <see cref="AssetSpec.Type"/> (the set stays open: any lower-case identifier).</summary>
public static class AssetType
{
    /// <summary>One token a line, line <c>i</c> = id <c>i</c> (e.g. a WordPiece <c>vocab.txt</c>).</summary>
    public const string Vocabulary = "vocabulary";

    /// <summary>A text tokenizer's definition file (e.g. a <c>tokenizer.json</c>).</summary>
    public const string Tokenizer = "tokenizer";

    /// <summary>BPE merge rules, one pair a line.</summary>
    public const string Merges = "merges";

    /// <summary>A font file (a renderer that must draw text as training did carries its own font).</summary>
    public const string Font = "font";

    /// <summary>A text encoder's tokenizer and pooling settings (<see cref="TextEncoderSettings"/>, kind <c>text-encoder</c>).</summary>
    public const string TextEncoderSettings = "text_encoder";

    /// <summary>How CLIPPO draws text: canvas, scale, grey levels, normalisation (kind <c>clippo</c>).</summary>
    public const string TextRendererSettings = "text_renderer";
}
