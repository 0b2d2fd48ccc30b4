namespace LangBridge.Runtime;

/// <summary>One label's score for an image (<see cref="ZeroShotClassifier"/>).</summary>
/// <param name="Label">The label as given.</param>
/// <param name="Similarity">Cosine similarity of the image and the label's prompt embedding.</param>
/// <param name="Probability">Softmax over all labels of <c>temperature × similarity</c>.</param>
public sealed record LabelScore(string Label, float Similarity, float Probability);
