namespace LangBridge.Runtime;

/// <summary>
/// The manifest declares a bundle <c>formatVersion</c> this runtime does not know. Upgrade the
/// LangBridge.Runtime package, or re-export the bundle with a LangBridge exporter that writes a
/// version this runtime reads.
/// </summary>
public sealed class UnsupportedFormatVersionException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="formatVersion">The version the manifest declares.</param>
    /// <param name="supportedVersions">The versions this runtime reads, oldest first.</param>
    public UnsupportedFormatVersionException(int formatVersion, IReadOnlyList<int> supportedVersions)
        : base($"manifest.json declares formatVersion {formatVersion}, but this LangBridge.Runtime reads formatVersion {string.Join(" and ", supportedVersions)} only. " +
               (formatVersion > supportedVersions[^1]
                   ? $"The bundle is newer than this runtime: upgrade the LangBridge.Runtime package, or re-export the bundle (`langbridge export`) with a LangBridge release that writes formatVersion {supportedVersions[^1]}."
                   : $"Re-export the bundle with the current LangBridge exporter (`langbridge export`), which writes formatVersion {supportedVersions[^1]}."))
    {
        FormatVersion = formatVersion;
        SupportedVersions = supportedVersions;
    }

    /// <summary>The version the manifest declares.</summary>
    public int FormatVersion { get; }

    /// <summary>The newest version this runtime reads (and the one its writer writes).</summary>
    public int SupportedVersion => SupportedVersions[^1];

    /// <summary>Every version this runtime reads, oldest first.</summary>
    public IReadOnlyList<int> SupportedVersions { get; }
}
