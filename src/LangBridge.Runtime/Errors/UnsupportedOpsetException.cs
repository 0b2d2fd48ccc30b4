namespace LangBridge.Runtime;

/// <summary>
/// A graph needs a newer ONNX opset or IR version than the loaded ONNX Runtime supports. Upgrade
/// the ONNX Runtime native package, or re-export the bundle with a lower opset (the exporter's
/// default is 17).
/// </summary>
public sealed class UnsupportedOpsetException : LangBridgeException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="file">The bundle file at fault (<c>manifest.json</c> or a graph).</param>
    /// <param name="what">"opset" or "IR version".</param>
    /// <param name="requested">The version the bundle needs.</param>
    /// <param name="supported">The highest version the loaded runtime supports.</param>
    /// <param name="runtimeVersion">The ONNX Runtime version that was checked.</param>
    public UnsupportedOpsetException(string file, string what, long requested, long supported, string runtimeVersion)
        : base($"'{file}' needs ONNX {what} {requested}, but the loaded ONNX Runtime {runtimeVersion} supports {what} {supported} at most. " +
               $"Re-export the bundle with {what} {supported} or lower (the exporter defaults to opset 17), or upgrade the ONNX Runtime native package.")
    {
        File = file;
        What = what;
        Requested = requested;
        Supported = supported;
        RuntimeVersion = runtimeVersion;
    }

    /// <summary>The bundle file at fault.</summary>
    public string File { get; }

    /// <summary>Which version was too high: "opset" or "IR version".</summary>
    public string What { get; }

    /// <summary>The version the bundle needs.</summary>
    public long Requested { get; }

    /// <summary>The highest version the runtime supports.</summary>
    public long Supported { get; }

    /// <summary>The ONNX Runtime version that was checked.</summary>
    public string RuntimeVersion { get; }
}
