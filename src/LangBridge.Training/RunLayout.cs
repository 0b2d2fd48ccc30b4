namespace LangBridge.Training;

/// <summary>Where one model's run writes under <c>artifacts/</c>.</summary>
public sealed record RunLayout(string ArtifactsRoot, string Name)
{
    public string CheckpointDir => Path.Combine(ArtifactsRoot, "checkpoints", Name);
    public string Checkpoint => Path.Combine(CheckpointDir, "last.lbck");
    public string TrainLog => Path.Combine(CheckpointDir, "train-log.jsonl");
    public string TrainSummary => Path.Combine(CheckpointDir, "train-summary.json");
    public string ReportDir => Path.Combine(ArtifactsRoot, "reports", Name);
    public string BundleDir => Path.Combine(ArtifactsRoot, "bundles", Name);
}
