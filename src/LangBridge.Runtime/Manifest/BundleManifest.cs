namespace LangBridge.Runtime;

/// <summary>
/// The contents of a bundle's <c>manifest.json</c> (bundle format version 2, see
/// <c>docs/bundle-format.md</c>; version 1 manifests are read and mapped onto this model). The
/// exporter builds one, then calls
/// <see cref="BundleWriter.Seal(string, BundleManifest)"/> to fill <see cref="Files"/> and write it;
/// the runtime reads it with <see cref="ModelBundle.Load(string)"/>.
/// </summary>
/// <remarks>Collections compare by reference: two manifests with equal contents but different list
/// instances are not <c>==</c>. Compare <see cref="ManifestJson.Serialize"/> output instead.</remarks>
public sealed record BundleManifest
{
    /// <summary>The value of <see cref="Format"/> in every LangBridge bundle.</summary>
    public const string FormatName = "langbridge-bundle";

    /// <summary>
    /// The parity report <c>langbridge verify</c> writes into a bundle. From version 2 it is a report,
    /// not part of the seal: writers leave it out of <see cref="Files"/>, so it can be rewritten.
    /// </summary>
    public const string ParityReportFile = "parity.json";

    /// <summary>Always <see cref="FormatName"/>; tells a bundle manifest from other JSON files.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>
    /// Bundle format version as written in the file. Writers write <see cref="RuntimeSupport.FormatVersion"/>;
    /// the runtime also reads version 1 (see <see cref="RuntimeSupport.ReadableFormatVersions"/>).
    /// </summary>
    public int FormatVersion { get; init; } = RuntimeSupport.FormatVersion;

    /// <summary>Bundle name, e.g. <c>lqae-fashion</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Model kind; tells the runtime which API serves the bundle (<c>lqae</c> → <see cref="ImageTokenizer"/>).</summary>
    public required string Kind { get; init; }

    /// <summary>What wrote the bundle, e.g. <c>langbridge 0.1.0</c>.</summary>
    public string? Producer { get; init; }

    /// <summary>ONNX opset (default domain) every graph of the bundle imports.</summary>
    public required int Opset { get; init; }

    /// <summary>ONNX IR version every graph of the bundle declares.</summary>
    public required int IrVersion { get; init; }

    /// <summary>SHA-256 of the training recipe the weights came from (provenance; not checked).</summary>
    public string? RecipeSha256 { get; init; }

    /// <summary>
    /// The image the graphs consume and produce, and its normalisation; <c>null</c> for a bundle
    /// without images (a text encoder). Required when any tensor has meaning <see cref="TensorMeaning.Image"/>.
    /// </summary>
    public ImageSpec? Image { get; init; }

    /// <summary>Token layout and vocabulary; required for token-producing kinds such as <c>lqae</c>.</summary>
    public TokenSpec? Tokens { get; init; }

    /// <summary>The bundle's graphs by role (<c>encoder</c>, <c>quantizer</c>, <c>decoder</c>, …).</summary>
    public required IReadOnlyDictionary<string, GraphSpec> Graphs { get; init; }

    /// <summary>
    /// Non-graph files the bundle's wrapper uses, by role (e.g. <c>"text_vocabulary"</c> →
    /// <c>{ file: "vocab.txt", type: "vocabulary" }</c>); <c>null</c> when there are none. Each is listed in <see cref="Files"/>.
    /// </summary>
    public IReadOnlyDictionary<string, AssetSpec>? Assets { get; init; }

    /// <summary>Every file the bundle uses, with size and SHA-256 (everything but <c>manifest.json</c> and, from version 2, <c>parity.json</c>).</summary>
    public IReadOnlyList<BundleFileEntry> Files { get; init; } = [];
}
