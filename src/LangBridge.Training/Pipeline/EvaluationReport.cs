namespace LangBridge.Training.Pipeline;

/// <summary>What an evaluation produced: its metrics (serialised to <c>metrics.json</c>) and the files it wrote beside them.</summary>
public sealed record EvaluationReport(object Metrics, IReadOnlyList<string> Files);
