using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LangBridge.Runtime;

/// <summary>
/// Reads and writes <c>manifest.json</c> exactly as <c>docs/bundle-format.md</c> specifies:
/// camelCase properties, indented, null properties omitted, graph names kept as written.
/// </summary>
public static class ManifestJson
{
    /// <summary>The manifest's file name inside a bundle folder.</summary>
    public const string FileName = "manifest.json";

    // Strict on purpose: no case-insensitive names, no numbers-as-strings, so a manifest that this
    // runtime accepts is one every other reader of the documented format accepts too.
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        // Words and names may carry non-ASCII letters; keep them readable in the file.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serialises a manifest to the documented JSON form.</summary>
    public static string Serialize(BundleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return JsonSerializer.Serialize(manifest, Options) + "\n";
    }

    /// <summary>
    /// Writes a manifest to <paramref name="path"/> atomically (a temporary file renamed over the
    /// target), so a crash never leaves a half-written manifest behind.
    /// </summary>
    public static void Write(string path, BundleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(path);
        var json = Serialize(manifest);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            File.WriteAllText(temp, json, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Parses and validates manifest JSON. Checks the format name and version first, so a newer
    /// bundle fails with <see cref="UnsupportedFormatVersionException"/> rather than a schema error.
    /// A version 1 manifest is validated by the version 1 rules, then mapped onto the version 2
    /// model (tensor meanings inferred for kind <c>lqae</c>); its <see cref="BundleManifest.FormatVersion"/> stays 1.
    /// </summary>
    /// <exception cref="BundleFormatException">The JSON is malformed or violates the schema.</exception>
    /// <exception cref="UnsupportedFormatVersionException">The format version is not one this runtime reads.</exception>
    /// <exception cref="BundlePathException">A path in the manifest would leave the bundle folder.</exception>
    public static BundleManifest Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(FileName, $"{FileName} is not valid JSON ({e.Message}). Re-export the bundle.", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new BundleFormatException(FileName, $"{FileName} must hold a JSON object, not {root.ValueKind}. Re-export the bundle.");
            }

            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String ||
                format.GetString() != BundleManifest.FormatName)
            {
                throw new BundleFormatException(FileName,
                    $"{FileName} is not a LangBridge bundle manifest: \"format\" must be \"{BundleManifest.FormatName}\". Point the runtime at a folder written by the LangBridge exporter.");
            }

            if (!root.TryGetProperty("formatVersion", out var version) || !version.TryGetInt32(out var formatVersion))
            {
                throw new BundleFormatException(FileName, $"{FileName} has no integer \"formatVersion\". Re-export the bundle.");
            }

            if (!RuntimeSupport.ReadableFormatVersions.Contains(formatVersion))
            {
                throw new UnsupportedFormatVersionException(formatVersion, RuntimeSupport.ReadableFormatVersions);
            }

            BundleManifest? manifest;
            try
            {
                manifest = root.Deserialize<BundleManifest>(Options);
            }
            catch (JsonException e)
            {
                throw new BundleFormatException(FileName, $"{FileName} does not match the bundle schema: {e.Message} Re-export the bundle.", e);
            }

            if (manifest is null)
            {
                throw new BundleFormatException(FileName, $"{FileName} is empty. Re-export the bundle.");
            }

            ManifestValidator.Validate(manifest);
            return manifest.FormatVersion == 1 ? ManifestUpgrade.FromVersion1(manifest) : manifest;
        }
    }

    /// <summary>Reads, parses and validates a manifest file (does not check the bundle's files; see <see cref="ModelBundle.Load(string)"/>).</summary>
    public static BundleManifest Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllText(path));
    }
}
