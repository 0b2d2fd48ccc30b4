namespace LangBridge.Runtime;

/// <summary>
/// An input has the wrong size or channel count for the bundle (an image of the wrong width,
/// height or channel count, a token sequence of the wrong length, a buffer of the wrong length).
/// The message names what the bundle expects and what was given. Resize or convert the input
/// first (LangBridge.Imaging does this the way training did).
/// </summary>
public sealed class InputShapeException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="what">What was checked, e.g. "image size".</param>
    /// <param name="expected">What the bundle expects, e.g. "1×28×28 (C×H×W)".</param>
    /// <param name="actual">What was given.</param>
    public InputShapeException(string what, string expected, string actual)
        : base($"Wrong {what}: the bundle expects {expected}, got {actual}.")
    {
        What = what;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>What was checked.</summary>
    public string What { get; }

    /// <summary>What the bundle expects.</summary>
    public string Expected { get; }

    /// <summary>What was given.</summary>
    public string Actual { get; }
}
