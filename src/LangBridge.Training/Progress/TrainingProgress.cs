namespace LangBridge.Training.Progress;

/// <summary>One progress report of a training run.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TotalSteps">Steps the recipe asks for.</param>
/// <param name="Losses">Loss terms of the last step by name (e.g. total, reconstruction, commitment).</param>
/// <param name="ImagesPerSecond">Throughput since the run (or resume) started.</param>
/// <param name="Eta">Estimated time to finish.</param>
/// <param name="Message">Free text for events such as "checkpoint written" (null for plain steps).</param>
public sealed record TrainingProgress(int Step, int TotalSteps, IReadOnlyDictionary<string, double> Losses,
    double ImagesPerSecond, TimeSpan Eta, string? Message = null);
