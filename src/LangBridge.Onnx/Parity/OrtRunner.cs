using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Parity;

/// <summary>One output tensor read back from ONNX Runtime (float32 → <see cref="Floats"/>, int64 → <see cref="Longs"/>).</summary>
public sealed record OrtOutput(string Name, long[] Shape, float[]? Floats, long[]? Longs);

/// <summary>A CPU inference session over an in-memory model at a chosen graph optimization level.</summary>
public sealed class OrtRunner : IDisposable
{
    private readonly InferenceSession _session;

    public OrtRunner(byte[] model, GraphOptimizationLevel level, string what = "model")
    {
        What = what;
        Level = level;
        using var options = new SessionOptions { GraphOptimizationLevel = level };
        _session = OrtErrors.Guard(OrtErrors.Stage.Load, what, () => new InferenceSession(model, options));
    }

    public string What { get; }
    public GraphOptimizationLevel Level { get; }
    public IReadOnlyList<string> InputNames => _session.InputNames;
    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>Runs the model on TorchSharp tensors (float32 or int64, fed by input position).</summary>
    public IReadOnlyList<OrtOutput> Run(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != _session.InputNames.Count)
            throw new OnnxInferenceException($"{What}: the model has {_session.InputNames.Count} inputs, {inputs.Count} were given.");
        var values = new List<OrtValue>();
        try
        {
            foreach (var t in inputs) values.Add(ToOrt(t));
            using var runOptions = new RunOptions();
            return OrtErrors.Guard(OrtErrors.Stage.Run, What, () =>
            {
                using var outs = _session.Run(runOptions, _session.InputNames, values, _session.OutputNames);
                var result = new List<OrtOutput>();
                for (int i = 0; i < outs.Count; i++)
                {
                    var info = outs[i].GetTensorTypeAndShape();
                    var name = _session.OutputNames[i];
                    result.Add(info.ElementDataType switch
                    {
                        TensorElementType.Float => new OrtOutput(name, info.Shape, outs[i].GetTensorDataAsSpan<float>().ToArray(), null),
                        TensorElementType.Int64 => new OrtOutput(name, info.Shape, null, outs[i].GetTensorDataAsSpan<long>().ToArray()),
                        var other => throw new OnnxInferenceException($"{What}: output '{name}' has unsupported type {other}."),
                    });
                }
                return (IReadOnlyList<OrtOutput>)result;
            });
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
        return c.dtype switch
        {
            ScalarType.Float32 => OrtValue.CreateTensorValueFromMemory(c.data<float>().ToArray(), c.shape),
            ScalarType.Int64 => OrtValue.CreateTensorValueFromMemory(c.data<long>().ToArray(), c.shape),
            _ => throw new NotSupportedException($"Input tensors of type {c.dtype} are not supported (float32, int64)."),
        };
    }

    public void Dispose() => _session.Dispose();
}
