namespace LangBridge.Runtime;

/// <summary>
/// The manifest declares a bundle <c>formatVersion</c> this runtime does not know. Upgrade the
/// LangBridge.Runtime package, or re-export the bundle with the version this runtime reads.
/// </summary>
public sealed class UnsupportedFormatVersionException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedFormatVersionException(int formatVersion, int supportedVersion)
        : base($"manifest.json declares formatVersion {formatVersion}, but this LangBridge.Runtime reads formatVersion {supportedVersion} only. " +
               $"Upgrade the LangBridge.Runtime package, or re-export the bundle with formatVersion {supportedVersion}.")
    {
        FormatVersion = formatVersion;
        SupportedVersion = supportedVersion;
    }

    /// <summary>The version the manifest declares.</summary>
    public int FormatVersion { get; }

    /// <summary>The version this runtime reads.</summary>
    public int SupportedVersion { get; }
}
