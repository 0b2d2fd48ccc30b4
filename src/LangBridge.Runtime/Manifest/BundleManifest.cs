namespace LangBridge.Runtime;

/// <summary>
/// The contents of a bundle's <c>manifest.json</c> (bundle format version 1, see
/// <c>docs/bundle-format.md</c>). The exporter builds one, then calls
/// <see cref="BundleWriter.Seal(string, BundleManifest)"/> to fill <see cref="Files"/> and write it;
/// the runtime reads it with <see cref="ModelBundle.Load(string)"/>.
/// </summary>
/// <remarks>Collections compare by reference: two manifests with equal contents but different list
/// instances are not <c>==</c>. Compare <see cref="ManifestJson.Serialize"/> output instead.</remarks>
public sealed record BundleManifest
{
    /// <summary>The value of <see cref="Format"/> in every LangBridge bundle.</summary>
    public const string FormatName = "langbridge-bundle";

    /// <summary>Always <see cref="FormatName"/>; tells a bundle manifest from other JSON files.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>Bundle format version; this runtime reads <see cref="RuntimeSupport.FormatVersion"/>.</summary>
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

    /// <summary>The image the graphs consume and produce, and its normalisation.</summary>
    public required ImageSpec Image { get; init; }

    /// <summary>Token layout and vocabulary; required for token-producing kinds such as <c>lqae</c>.</summary>
    public TokenSpec? Tokens { get; init; }

    /// <summary>The bundle's graphs by role (<c>encoder</c>, <c>quantizer</c>, <c>decoder</c>, …).</summary>
    public required IReadOnlyDictionary<string, GraphSpec> Graphs { get; init; }

    /// <summary>Every file the bundle uses, with size and SHA-256 (everything but <c>manifest.json</c>).</summary>
    public IReadOnlyList<BundleFileEntry> Files { get; init; } = [];
}
