namespace LangBridge.Training.Checkpoints;

/// <summary>A checkpoint that cannot be used: missing, truncated, corrupt, or from another recipe.</summary>
public sealed class CheckpointException(string path, string message)
    : Exception($"{path}: {message}")
{
    /// <summary>The checkpoint file.</summary>
    public string Path { get; } = path;
}
