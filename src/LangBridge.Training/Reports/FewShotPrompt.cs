using System.Text;

namespace LangBridge.Training.Reports;

/// <summary>
/// A plain-text few-shot prompt an LLM user can paste: labelled images written as their words, then
/// unlabelled queries (answers at the end, for checking).
/// </summary>
public static class FewShotPrompt
{
    public static string Build(string modelName, IReadOnlyList<(IReadOnlyList<string> Words, string Label)> examples,
        IReadOnlyList<(IReadOnlyList<string> Words, string Label)> queries, int gridSize, int summaryWords = 0)
    {
        var text = new StringBuilder();
        var layout = summaryWords > 0 ? $"{summaryWords} words for the whole image, then {gridSize}x{gridSize}" : $"{gridSize}x{gridSize}";
        text.AppendLine($"# Images as words ({modelName}): each image is {layout} words, read row by row.");
        text.AppendLine("# Classify the last images. Answer with one label each.");
        text.AppendLine();
        foreach (var (words, label) in examples)
        {
            text.AppendLine($"Image: {string.Join(' ', words)}");
            text.AppendLine($"Label: {label}");
            text.AppendLine();
        }
        for (int i = 0; i < queries.Count; i++)
        {
            text.AppendLine($"Image: {string.Join(' ', queries[i].Words)}");
            text.AppendLine("Label:");
            text.AppendLine();
        }
        text.AppendLine($"# Answers: {string.Join(", ", queries.Select(q => q.Label))}");
        return text.ToString();
    }
}
