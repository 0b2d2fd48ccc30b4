namespace LangBridge.Runtime;

/// <summary>
/// The prompts a zero-shot classifier embeds for a label: CLIPPO's held-out caption templates that name only
/// the class (training evaluates zero-shot with these very phrasings, never seen in training), filled the way
/// training fills captions ("a" before a vowel becomes "an").
/// </summary>
public static class ZeroShotPrompts
{
    /// <summary>Where a template takes the label.</summary>
    public const string Placeholder = "{label}";

    /// <summary>The default templates: <c>the {label}</c>, <c>an image of a {label}</c>, <c>{label} picture</c>.</summary>
    public static IReadOnlyList<string> Templates { get; } = ["the {label}", "an image of a {label}", "{label} picture"];

    /// <summary>The prompts of <paramref name="label"/>: each template filled (the default <see cref="Templates"/> when none are given).</summary>
    public static IReadOnlyList<string> For(string label, IReadOnlyList<string>? templates = null)
    {
        ArgumentNullException.ThrowIfNull(label);
        return (templates ?? Templates).Select(t => Fill(t, label)).ToArray();
    }

    /// <summary>A template with the label put in, spaces collapsed, and "a"/"an" chosen by the next word's first letter.</summary>
    public static string Fill(string template, string label)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(label);
        var words = template.Replace(Placeholder, label, StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i + 1 < words.Length; i++)
        {
            if (words[i] is "a" or "an") words[i] = "aeiou".Contains(words[i + 1][0]) ? "an" : "a";
        }

        return string.Join(' ', words);
    }
}
