namespace LangBridge.Runtime;

/// <summary>
/// The model kinds this runtime serves (<see cref="BundleManifest.Kind"/>), the files a manifest uses,
/// and the kind-specific checks that run when a bundle is sealed and opened.
/// </summary>
public static class BundleKinds
{
    /// <summary>Images into words and back (<see cref="ImageTokenizer"/>).</summary>
    public const string Lqae = "lqae";

    /// <summary>A frozen BERT-family text encoder: ids + mask → hidden states, mean-pooled by <see cref="TextEmbedder"/>.</summary>
    public const string TextEncoder = "text-encoder";

    /// <summary>CLIPPO: one encoder for images and rendered text (<see cref="ImageEmbedder"/>, <see cref="TextEmbedder"/>, <see cref="ZeroShotClassifier"/>).</summary>
    public const string Clippo = "clippo";

    /// <summary>A LiMBeR captioning bundle: image encoder, bridge, token embeddings, the LM's decoding graph and its BPE files (<see cref="Captioner"/>).</summary>
    public const string Limber = "limber";

    /// <summary>A VLAP bundle: a LiMBeR captioning bundle (<see cref="Captioner"/>) plus the <c>words</c> graph, soft tokens → word scores (<see cref="ImageToWords"/>).</summary>
    public const string Vlap = "vlap";

    /// <summary>The kinds <see cref="Captioner"/> serves.</summary>
    public static IReadOnlyList<string> Captioning { get; } = [Limber, Vlap];

    /// <summary>Checks a manifest against the rules of its kind, if the runtime knows the kind.</summary>
    internal static void Check(BundleManifest m)
    {
        switch (m.Kind)
        {
            case Lqae: LqaeLayout.Resolve(m); break;
            case TextEncoder: TextEncoderLayout.Resolve(m); break;
            case Clippo: ClippoLayout.Resolve(m); break;
        }
    }

    /// <summary>Every file the manifest refers to, with what refers to it (each must be listed in <c>files</c>).</summary>
    internal static IEnumerable<(string Path, string UsedBy)> UsedFiles(BundleManifest m)
    {
        foreach (var (role, graph) in m.Graphs)
        {
            yield return (graph.File, $"graph \"{role}\"");
            foreach (var data in graph.ExternalData ?? [])
            {
                yield return (data, $"graph \"{role}\" (external data)");
            }
        }

        if (m.Tokens is { } tokens)
        {
            yield return (tokens.Vocabulary, "tokens.vocabulary");
        }

        foreach (var (role, asset) in m.Assets ?? new Dictionary<string, AssetSpec>())
        {
            yield return (asset.File, $"asset \"{role}\"");
        }
    }
}
