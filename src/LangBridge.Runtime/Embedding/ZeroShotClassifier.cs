using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace LangBridge.Runtime;

/// <summary>
/// Zero-shot image classification over labels given at run time (CLIPPO): each label's prompts
/// (<see cref="ZeroShotPrompts"/>) are embedded by a <see cref="TextEmbedder"/>, averaged and normalised, once;
/// an image embedding from <see cref="ImageEmbedder"/> is then scored against every label by cosine similarity,
/// and the labels come back ranked with softmax probabilities. Immutable after construction, so thread-safe.
/// </summary>
/// <example><code>
/// using var images = ImageEmbedder.Open("bundles/clippo-fashion");
/// using var texts = TextEmbedder.Open("bundles/clippo-fashion");
/// var classifier = new ZeroShotClassifier(texts, ["sandal", "sneaker", "ankle boot"]);
/// LabelScore best = classifier.Classify(images.Embed(pixelImage))[0];
/// </code></example>
public sealed class ZeroShotClassifier
{
    /// <summary>The softmax temperature when the bundle records none: CLIPPO's initial (learned) multiplier of cosine scores.</summary>
    public const float DefaultTemperature = 10f;

    private readonly Embedding[] _classes;

    /// <summary>Embeds the prompts of every label.</summary>
    /// <param name="text">The text embedder of the bundle whose image embeddings will be classified.</param>
    /// <param name="labels">Distinct, non-empty labels.</param>
    /// <param name="templates">Prompt templates with <see cref="ZeroShotPrompts.Placeholder"/>; default <see cref="ZeroShotPrompts.Templates"/>.</param>
    /// <param name="temperature">Softmax temperature; default the bundle's, else <see cref="DefaultTemperature"/>.</param>
    /// <exception cref="InvalidInputException">No labels, an empty or repeated label, or a template without the placeholder.</exception>
    public ZeroShotClassifier(TextEmbedder text, IEnumerable<string> labels, IReadOnlyList<string>? templates = null, float? temperature = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(labels);
        Labels = labels.Select(l => l?.Trim() ?? "").ToArray();
        if (Labels.Count == 0) throw new InvalidInputException("Zero-shot classification needs at least one label.");
        if (Labels.FirstOrDefault(l => l.Length == 0) is not null) throw new InvalidInputException("A label is empty.");
        if (Labels.GroupBy(l => l, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidInputException($"Label '{twice.Key}' is given twice.");
        Templates = templates ?? ZeroShotPrompts.Templates;
        if (Templates.Count == 0 || Templates.Any(t => t is null || !t.Contains(ZeroShotPrompts.Placeholder, StringComparison.Ordinal)))
            throw new InvalidInputException($"Every prompt template must contain {ZeroShotPrompts.Placeholder}, and there must be at least one.");
        Temperature = temperature ?? text.Temperature ?? DefaultTemperature;
        if (!float.IsFinite(Temperature) || Temperature <= 0) throw new InvalidInputException($"The temperature must be positive, not {Temperature}.");

        // One call for every prompt of every label: label l's prompts are rows [l·T, (l+1)·T).
        var prompts = Labels.SelectMany(l => ZeroShotPrompts.For(l, Templates)).ToArray();
        var embedded = text.Embed(prompts);
        var t = Templates.Count;
        _classes = new Embedding[Labels.Count];
        for (var l = 0; l < Labels.Count; l++)
        {
            var mean = new float[text.Dimension];
            for (var p = 0; p < t; p++)
            {
                var v = embedded[l * t + p].Vector;
                for (var k = 0; k < mean.Length; k++) mean[k] += v[k];
            }

            for (var k = 0; k < mean.Length; k++) mean[k] /= t;
            Embedding.Normalize(mean);
            _classes[l] = new Embedding(ImmutableCollectionsMarshal.AsImmutableArray(mean));
        }
    }

    /// <summary>The labels, in the order given.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The prompt templates used.</summary>
    public IReadOnlyList<string> Templates { get; }

    /// <summary>The softmax temperature of <see cref="LabelScore.Probability"/>.</summary>
    public float Temperature { get; }

    /// <summary>Each label's unit embedding (the normalised mean of its prompts), in label order.</summary>
    public IReadOnlyList<Embedding> LabelEmbeddings => _classes;

    /// <summary>Every label scored for one image embedding, best first.</summary>
    /// <exception cref="InputShapeException">The embedding's dimension is not the text embeddings'.</exception>
    public IReadOnlyList<LabelScore> Classify(Embedding image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Dimension != _classes[0].Dimension)
        {
            throw new InputShapeException("image embedding", $"{_classes[0].Dimension} components", $"{image.Dimension}");
        }

        var similarities = _classes.Select(c => c.Similarity(image)).ToArray();
        var top = similarities.Max();
        var weights = similarities.Select(s => Math.Exp(Temperature * (s - top))).ToArray();   // shifted by the maximum: no overflow
        var total = weights.Sum();
        return Enumerable.Range(0, _classes.Length)
            .Select(l => new LabelScore(Labels[l], similarities[l], (float)(weights[l] / total)))
            .OrderByDescending(s => s.Similarity)
            .ToArray();                                                                       // OrderBy is stable: ties keep label order
    }

    /// <summary>Every label scored for each image embedding, best first.</summary>
    public IReadOnlyList<IReadOnlyList<LabelScore>> Classify(IReadOnlyList<Embedding> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.Select(Classify).ToArray();
    }
}
