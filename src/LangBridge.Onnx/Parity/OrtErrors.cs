using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Onnx.Parity;

/// <summary>Base of the typed errors ONNX Runtime failures are translated into.</summary>
public class OnnxRuntimeFailureException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>ONNX Runtime's error code when the failure came from it, else null.</summary>
    public string? OrtErrorCode { get; init; }
}

/// <summary>The model could not be loaded (invalid graph, unsupported op or opset, unreadable file).</summary>
public sealed class OnnxModelLoadException(string message, Exception? inner = null) : OnnxRuntimeFailureException(message, inner);

/// <summary>Running the model failed (wrong input name, type or shape, kernel failure).</summary>
public sealed class OnnxInferenceException(string message, Exception? inner = null) : OnnxRuntimeFailureException(message, inner);

/// <summary>An execution provider is not part of the installed ONNX Runtime native package.</summary>
public sealed class OnnxExecutionProviderUnavailableException(string message, Exception? inner = null) : OnnxRuntimeFailureException(message, inner);

/// <summary>The one place where ONNX Runtime's native errors become typed exceptions.</summary>
public static class OrtErrors
{
    public enum Stage { Load, Run, Provider }

    /// <summary>Translates <paramref name="error"/> raised during <paramref name="stage"/> of <paramref name="what"/>.</summary>
    public static Exception Translate(Exception error, Stage stage, string what)
    {
        if (error is OnnxRuntimeFailureException) return error;
        if (error is EntryPointNotFoundException ||
            (error is OnnxRuntimeException p && p.Message.Contains("not enabled in this build", StringComparison.OrdinalIgnoreCase)))
            return new OnnxExecutionProviderUnavailableException($"{what}: execution provider not available in this ONNX Runtime build ({error.Message}).", error)
            { OrtErrorCode = CodeOf(error) };
        if (error is OnnxRuntimeException ort)
        {
            var code = CodeOf(ort);
            var msg = $"{what}: ONNX Runtime error: {ort.Message}";
            return stage switch
            {
                Stage.Load => new OnnxModelLoadException(msg, error) { OrtErrorCode = code },
                Stage.Provider => new OnnxExecutionProviderUnavailableException(msg, error) { OrtErrorCode = code },
                _ => new OnnxInferenceException(msg, error) { OrtErrorCode = code },
            };
        }
        if (error is DllNotFoundException or TypeInitializationException)
            return new OnnxRuntimeFailureException($"{what}: the ONNX Runtime native library could not be loaded ({error.Message}).", error);
        return error;
    }

    /// <summary>The error code ONNX Runtime puts in its messages ("[ErrorCode:InvalidGraph] ..."), if any.</summary>
    public static string? CodeOf(Exception error)
    {
        var m = System.Text.RegularExpressions.Regex.Match(error.Message, @"\[ErrorCode:(\w+)\]");
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Runs <paramref name="action"/>, translating ONNX Runtime errors.</summary>
    public static T Guard<T>(Stage stage, string what, Func<T> action)
    {
        try { return action(); }
        catch (Exception e) when (Translate(e, stage, what) is var t && !ReferenceEquals(t, e)) { throw t; }
    }
}
