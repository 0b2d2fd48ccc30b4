namespace LangBridge.Runtime;

/// <summary>
/// ONNX Runtime failed to create a session or to run a graph for a reason the runtime could not
/// classify more precisely. The inner exception carries the native error; the message names the
/// graph file.
/// </summary>
public sealed class InferenceException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    public InferenceException(string file, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        File = file;
    }

    /// <summary>The graph file involved.</summary>
    public string File { get; }

    /// <summary>Whether loading or running failed.</summary>
    public InferenceStage Stage { get; init; }

    /// <summary>ONNX Runtime's error code (<c>InvalidArgument</c>, <c>InvalidGraph</c>, …) when the failure came from it, else <c>null</c>.</summary>
    public string? OrtErrorCode { get; init; }
}
