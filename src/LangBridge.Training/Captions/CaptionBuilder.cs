using LangBridge.Runtime;

namespace LangBridge.Training.Captions;

/// <summary>Which phrasings a caption may use: those training sees, or those held out for evaluation.</summary>
public enum CaptionSplit { Train, HeldOut }

/// <summary>Caption phrasings: {n} name, {b} brightness, {s} size; "a" becomes "an" before a vowel.</summary>
/// <param name="Train">Templates training draws from.</param>
/// <param name="HeldOut">Templates only evaluation uses.</param>
public sealed record CaptionTemplates(IReadOnlyList<string> Train, IReadOnlyList<string> HeldOut)
{
    /// <summary>CLIPPO's: short phrases a text encoder matches against images.</summary>
    public static CaptionTemplates Contrastive { get; } = new(
        ["{n}", "a {n}", "{b} {n}", "a {s} {n}", "a {s} {b} {n}", "{n}, {b}", "photo of a {n}", "a {b} {n}"],
        ["the {n}", "an image of a {n}", "{n} picture", "one {b} {n}", "my {s} {n}"]);

    /// <summary>
    /// LiMBeR's: continuations of the prompt "A picture of" that always state the class and both attributes, so a
    /// generated caption can be checked for each; the held-out ones order the words differently.
    /// </summary>
    public static CaptionTemplates Continuations { get; } = new(
        ["a {b} {n}, {s} in the frame.", "a {s} {b} {n}.", "a {n} that is {b} and {s}.", "one {s} {n}, {b}.", "a {b}, {s} {n}."],
        ["a {n}, {b} and {s}.", "a {s} {n} that is {b}.", "one {b} {n}, {s} in the frame."]);
}

/// <summary>
/// Deterministic captions from real words: a template, one of the class's names (its name or a WordNet
/// synonym) and the attributes measured from the pixels. Training and evaluation use disjoint templates, so a
/// zero-shot or retrieval number measures phrasings the model never saw. The same (image, variant) always
/// gives the same caption.
/// </summary>
public sealed class CaptionBuilder(IReadOnlyList<ClassWords> classes, CaptionTemplates? templates = null)
{
    /// <summary>CLIPPO's training templates (<see cref="CaptionTemplates.Contrastive"/>).</summary>
    public static IReadOnlyList<string> TrainTemplates => CaptionTemplates.Contrastive.Train;

    /// <summary>CLIPPO's held-out templates: evaluation only.</summary>
    public static IReadOnlyList<string> HeldOutTemplates => CaptionTemplates.Contrastive.HeldOut;

    public IReadOnlyList<ClassWords> Classes => classes;

    /// <summary>The phrasings this builder fills.</summary>
    public CaptionTemplates Templates { get; } = templates ?? CaptionTemplates.Contrastive;

    /// <summary>Caption number <paramref name="variant"/> of an image of class <paramref name="label"/>.</summary>
    public string Caption(int label, ImageAttributes attributes, CaptionSplit split, int variant)
    {
        var templates = split == CaptionSplit.Train ? Templates.Train : Templates.HeldOut;
        var c = classes[label];
        // Held-out captions say the class's own name: the synonyms are part of what training teaches.
        var names = split == CaptionSplit.Train ? new[] { c.Name }.Concat(c.Synonyms).ToArray() : [c.Name];
        uint h = Mix((uint)variant);
        var template = templates[(int)(h % (uint)templates.Count)];
        var name = names[(int)(Mix(h) % (uint)names.Length)];
        return Fill(template, name, attributes.Brightness, attributes.Size);
    }

    /// <summary>Every held-out caption of an image: one per held-out template, each with the class's own name (the references BLEU and CIDEr score against).</summary>
    public IReadOnlyList<string> References(int label, ImageAttributes attributes) =>
        Templates.HeldOut.Select(t => Fill(t, classes[label].Name, attributes.Brightness, attributes.Size)).ToArray();

    /// <summary>The zero-shot prompts of one class: every held-out (or training) template that names only the class.</summary>
    public IReadOnlyList<string> ClassPrompts(int label, CaptionSplit split = CaptionSplit.HeldOut) => Prompts(classes[label].Name, split);

    /// <summary>The zero-shot prompts naming <paramref name="name"/>: the templates of <paramref name="split"/> without attribute slots.</summary>
    public static IReadOnlyList<string> Prompts(string name, CaptionSplit split = CaptionSplit.HeldOut) =>
        (split == CaptionSplit.Train ? TrainTemplates : HeldOutTemplates)
            .Where(t => !t.Contains("{b}") && !t.Contains("{s}"))
            .Select(t => Fill(t, name, "", ""))
            .ToArray();

    /// <summary>A template with its slots filled and "a" before a vowel made "an" (the runtime's rule, so prompts match serving's).</summary>
    public static string Fill(string template, string name, string brightness, string size) =>
        ZeroShotPrompts.Fill(template.Replace("{b}", brightness).Replace("{s}", size).Replace("{n}", ZeroShotPrompts.Placeholder), name);

    // A small integer hash (lowbias32): consecutive variants pick unrelated templates and names.
    private static uint Mix(uint x)
    {
        x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16;
        return x;
    }
}
