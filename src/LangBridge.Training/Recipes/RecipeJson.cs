using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LangBridge.Training.Recipes;

/// <summary>
/// The strict JSON every recipe is read with: camelCase keys, comments and trailing commas allowed,
/// unknown keys refused (a typo never silently falls back to a default).
/// </summary>
public static class RecipeJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Deserialises a recipe of type <typeparamref name="T"/>; a JSON error becomes a <see cref="RecipeException"/> naming the key.</summary>
    public static T Deserialize<T>(string json, string file) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new RecipeException(file, "(root)", "empty recipe");
        }
        catch (JsonException e)
        {
            throw new RecipeException(file, e.Path?.TrimStart('$', '.') is { Length: > 0 } p ? p : "(root)", e.Message);
        }
    }

    /// <summary>The recipe's <c>kind</c> string, read before the kind's own (strict) parse.</summary>
    public static string ReadKind(string json, string file)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new RecipeException(file, "(root)", "a recipe is a JSON object");
            if (!doc.RootElement.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String || kind.GetString() is not { Length: > 0 } name)
                throw new RecipeException(file, "kind", "missing: every recipe names its model kind (e.g. \"kind\": \"lqae\")");
            return name;
        }
        catch (JsonException e)
        {
            throw new RecipeException(file, "(root)", e.Message);
        }
    }

    /// <summary>SHA-256 (lower-case hex) of a value's canonical recipe JSON.</summary>
    public static string Sha256<T>(T value) => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value, Options)));

    /// <summary>Shared rule for model names: they name folders.</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrWhiteSpace(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
