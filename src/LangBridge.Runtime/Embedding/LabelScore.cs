namespace LangBridge.Runtime;

/// <summary>One label's score for an image (<see cref="ZeroShotClassifier"/>).</summary>
public sealed class LabelScore
{
    /// <summary>Creates a score.</summary>
    public LabelScore(string label, float similarity, float probability)
    {
        Label = label;
        Similarity = similarity;
        Probability = probability;
    }

    /// <summary>The label as given.</summary>
    public string Label { get; }

    /// <summary>Cosine similarity of the image and the label's prompt embedding.</summary>
    public float Similarity { get; }

    /// <summary>Softmax over all labels of <c>temperature × similarity</c>.</summary>
    public float Probability { get; }
}
