namespace LangBridge.Runtime;

/// <summary>
/// A non-graph file a bundle ships for its wrapper (a text tokenizer's vocabulary or merges, a
/// font, …), listed under <see cref="BundleManifest.Assets"/> by role. Hashed like every file.
/// </summary>
public sealed record AssetSpec
{
    /// <summary>The file, relative to the bundle folder.</summary>
    public required string File { get; init; }

    /// <summary>What the file is: a lower-case identifier; see <see cref="AssetType"/> for the known ones.</summary>
    public required string Type { get; init; }
}
