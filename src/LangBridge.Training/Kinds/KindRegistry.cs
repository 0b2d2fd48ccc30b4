using System.Text.Json;
using LangBridge.Training.Clippo;
using LangBridge.Training.Lqae;
using LangBridge.Training.Recipes;

namespace LangBridge.Training.Kinds;

/// <summary>
/// The model kinds a pipeline knows, by recipe <c>kind</c> string. <see cref="Default"/> holds the built-in
/// kinds; tests and extensions build their own registry with <see cref="With"/>.
/// </summary>
public sealed class KindRegistry
{
    private readonly IReadOnlyDictionary<string, IModelKind> kinds;

    private KindRegistry(IReadOnlyDictionary<string, IModelKind> kinds) => this.kinds = kinds;

    /// <summary>The built-in kinds.</summary>
    public static KindRegistry Default { get; } = new KindRegistry(new Dictionary<string, IModelKind>(StringComparer.Ordinal)).With(new LqaeKind()).With(new ClippoKind()).With(new Language.GptKind()).With(new Limber.LimberKind()).With(new Vlap.VlapKind());

    /// <summary>The registered kinds, by name.</summary>
    public IEnumerable<IModelKind> Kinds => kinds.Values.OrderBy(k => k.Name, StringComparer.Ordinal);

    /// <summary>A registry with <paramref name="kind"/> added; a name registered twice is an error.</summary>
    public KindRegistry With(IModelKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (kinds.ContainsKey(kind.Name)) throw new ArgumentException($"model kind '{kind.Name}' is registered already", nameof(kind));
        return new KindRegistry(new Dictionary<string, IModelKind>(kinds, StringComparer.Ordinal) { [kind.Name] = kind });
    }

    /// <summary>The kind registered as <paramref name="name"/>, or a <see cref="RecipeException"/> listing the known ones.</summary>
    public IModelKind Get(string name, string file = "(recipe)") =>
        kinds.TryGetValue(name, out var kind)
            ? kind
            : throw new RecipeException(file, "kind", $"unknown model kind '{name}'; known kinds: {string.Join(", ", kinds.Keys.Order(StringComparer.Ordinal))}");

    /// <summary>Reads a recipe file, finds its kind by the <c>kind</c> key and lets that kind parse and validate it.</summary>
    public IModelRecipe LoadRecipe(string path)
    {
        if (!File.Exists(path)) throw new RecipeException(path, "(file)", "recipe file not found");
        var json = File.ReadAllText(path);
        return Get(RecipeJson.ReadKind(json, path), path).ParseRecipe(json, path);
    }

    /// <summary>The kind of a recipe this registry loaded.</summary>
    public IModelKind KindOf(IModelRecipe recipe) => Get(recipe.Kind);
}
