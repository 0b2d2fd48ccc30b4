namespace LangBridge.Runtime;

/// <summary>One file of a bundle as listed in the manifest's <c>files</c>.</summary>
/// <param name="Path">Relative path inside the bundle folder, with <c>/</c> separators.</param>
/// <param name="Sha256">SHA-256 of the file's bytes, lower-case hex.</param>
/// <param name="Bytes">File size in bytes.</param>
public sealed record BundleFileEntry(string Path, string Sha256, long Bytes);
