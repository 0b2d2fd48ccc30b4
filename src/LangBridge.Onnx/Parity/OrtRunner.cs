using LangBridge.Runtime;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Parity;

/// <summary>One output tensor read back from ONNX Runtime (float32 → <see cref="Floats"/>, int64 → <see cref="Longs"/>).</summary>
public sealed record OrtOutput(string Name, long[] Shape, float[]? Floats, long[]? Longs);

/// <summary>
/// A CPU inference session over an in-memory model at a chosen graph optimization level. ONNX Runtime
/// failures arrive as the runtime's typed exceptions (<see cref="OnnxRuntimeErrors"/>):
/// <see cref="UnsupportedOpsetException"/> or <see cref="InferenceException"/> (with
/// <see cref="InferenceException.Stage"/> and <see cref="InferenceException.OrtErrorCode"/>), and
/// <see cref="InputShapeException"/> for a wrong number of inputs.
/// </summary>
public sealed class OrtRunner : IDisposable
{
    private readonly InferenceSession _session;

    public OrtRunner(byte[] model, GraphOptimizationLevel level, string what = "model")
    {
        What = what;
        Level = level;
        using var options = new SessionOptions { GraphOptimizationLevel = level };
        try
        {
            _session = new InferenceSession(model, options);
        }
        catch (Exception e) when (OnnxRuntimeErrors.IsNative(e))
        {
            throw OnnxRuntimeErrors.SessionFailed(what, e);
        }
    }

    public string What { get; }
    public GraphOptimizationLevel Level { get; }
    public IReadOnlyList<string> InputNames => _session.InputNames;
    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>Runs the model on TorchSharp tensors (float32 or int64, fed by input position).</summary>
    public IReadOnlyList<OrtOutput> Run(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != _session.InputNames.Count)
            throw new InputShapeException($"input count of {What}", $"{_session.InputNames.Count} inputs ({string.Join(", ", _session.InputNames)})", $"{inputs.Count}");
        var values = new List<OrtValue>();
        try
        {
            foreach (var t in inputs) values.Add(ToOrt(t));
            using var runOptions = new RunOptions();
            IDisposableReadOnlyCollection<OrtValue> outs;
            try
            {
                outs = _session.Run(runOptions, _session.InputNames, values, _session.OutputNames);
            }
            catch (Exception e) when (OnnxRuntimeErrors.IsNative(e))
            {
                throw OnnxRuntimeErrors.RunFailed(What, e);
            }

            using (outs)
            {
                var result = new List<OrtOutput>();
                for (int i = 0; i < outs.Count; i++)
                {
                    var info = outs[i].GetTensorTypeAndShape();
                    var name = _session.OutputNames[i];
                    result.Add(info.ElementDataType switch
                    {
                        TensorElementType.Float => new OrtOutput(name, info.Shape, outs[i].GetTensorDataAsSpan<float>().ToArray(), null),
                        TensorElementType.Int64 => new OrtOutput(name, info.Shape, null, outs[i].GetTensorDataAsSpan<long>().ToArray()),
                        var other => throw new InferenceException(What, $"{What}: output '{name}' has type {other}; the parity runner reads float32 and int64 outputs only."),
                    });
                }
                return (IReadOnlyList<OrtOutput>)result;
            }
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    private static OrtValue ToOrt(Tensor t)
    {
        using var scope = NewDisposeScope();
        var c = t.detach().cpu().contiguous();
        // An empty tensor (an empty key/value cache) has no data to read: TorchSharp's accessor refuses to copy none.
        bool empty = c.numel() == 0;
        return c.dtype switch
        {
            ScalarType.Float32 => OrtValue.CreateTensorValueFromMemory(empty ? [] : c.data<float>().ToArray(), c.shape),
            ScalarType.Int64 => OrtValue.CreateTensorValueFromMemory(empty ? [] : c.data<long>().ToArray(), c.shape),
            _ => throw new NotSupportedException($"Input tensors of type {c.dtype} are not supported (float32, int64)."),
        };
    }

    public void Dispose() => _session.Dispose();
}
