namespace LangBridge.Runtime;

/// <summary>When an <see cref="InferenceException"/> happened.</summary>
public enum InferenceStage
{
    /// <summary>While running a graph.</summary>
    Run = 0,

    /// <summary>While ONNX Runtime created the session (parsed and prepared the graph).</summary>
    Load,
}
