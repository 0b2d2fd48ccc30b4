namespace LangBridge.Pretrained;

/// <summary>Base of every error raised while locating, importing or loading a pretrained network.</summary>
public class PretrainedException : Exception
{
    public PretrainedException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A weight file or graph does not fit the module: a missing tensor, a wrong shape, an unexpected
/// graph structure or an unsupported configuration value. <see cref="Item"/> names the culprit.
/// </summary>
public sealed class PretrainedFormatException : PretrainedException
{
    public PretrainedFormatException(string source, string item, string problem)
        : base($"{source}: {item}: {problem}")
    {
        FilePath = source; Item = item; Problem = problem;
    }

    /// <summary>The file (or package) being read.</summary>
    public string FilePath { get; }
    /// <summary>The tensor, node or configuration key at fault.</summary>
    public string Item { get; }
    public string Problem { get; }
}
