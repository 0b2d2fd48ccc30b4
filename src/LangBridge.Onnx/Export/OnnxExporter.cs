using Google.Protobuf;
using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Proto;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Export;

/// <summary>One graph input: name, element type and shape (use <see cref="OnnxDim.Batch"/> for the batch dim).</summary>
public sealed record OnnxInputSpec(string Name, OnnxElementType ElementType, IReadOnlyList<OnnxDim> Shape)
{
    /// <summary>A float32 input of shape (batch, dims...).</summary>
    public static OnnxInputSpec Batched(string name, params long[] dims) =>
        new(name, OnnxElementType.Float, [OnnxDim.Batch, .. dims.Select(OnnxDim.Of)]);

    /// <summary>An int64 input of shape (batch, dims...).</summary>
    public static OnnxInputSpec BatchedInt64(string name, params long[] dims) =>
        new(name, OnnxElementType.Int64, [OnnxDim.Batch, .. dims.Select(OnnxDim.Of)]);
}

public sealed record OnnxExportOptions
{
    public int Opset { get; init; } = OnnxOpset.Default;
    public string GraphName { get; init; } = "main";
    /// <summary>Graph output names; default "output" (one output) or "output_0", "output_1", ...</summary>
    public IReadOnlyList<string>? OutputNames { get; init; }
    public string? DocString { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    public string ProducerName { get; init; } = "LangBridge";
    public string? ProducerVersion { get; init; }
    /// <summary>Converters for built-in modules; default <see cref="OnnxConverterRegistry.Default"/>.</summary>
    public OnnxConverterRegistry? Registry { get; init; }
}

/// <summary>An exported graph and the names of its inputs and outputs.</summary>
public sealed class OnnxExportResult
{
    internal OnnxExportResult(ModelProto model, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<OnnxValue> outputs)
    {
        Model = model; Inputs = inputs; Outputs = outputs;
    }

    public ModelProto Model { get; }
    public IReadOnlyList<OnnxValue> Inputs { get; }
    public IReadOnlyList<OnnxValue> Outputs { get; }
    public IReadOnlyList<string> InputNames => Inputs.Select(i => i.Name).ToArray();
    public IReadOnlyList<string> OutputNames => Outputs.Select(o => o.Name).ToArray();

    public byte[] ToBytes() => Model.ToByteArray();
    /// <summary>Writes the model (streamed; temporary file moved into place).</summary>
    public void Save(string path) => OnnxModelIO.Save(Model, path);
}

/// <summary>Exports TorchSharp modules to ONNX graphs.</summary>
public static class OnnxExporter
{
    /// <summary>
    /// Exports <paramref name="module"/> (in eval mode, without gradients; its training flag is
    /// restored afterwards) as one graph with the given inputs. Unknown modules throw
    /// <see cref="OnnxExportException"/> naming their path and type.
    /// </summary>
    public static OnnxExportResult Export(nn.Module module, IReadOnlyList<OnnxInputSpec> inputs, OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        var builder = new OnnxGraphBuilder(options.GraphName, options.Opset)
        {
            ProducerName = options.ProducerName,
            DocString = options.DocString,
        };
        if (options.ProducerVersion is not null) builder.ProducerVersion = options.ProducerVersion;
        if (options.Metadata is not null)
            foreach (var (k, v) in options.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) builder.SetMetadata(k, v);

        bool wasTraining = module.training;
        module.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var ins = inputs.Select(s => builder.AddInput(s.Name, s.ElementType, [.. s.Shape])).ToArray();
            var ctx = new OnnxExportContext(builder, options.Registry ?? OnnxConverterRegistry.Default);
            var outs = ctx.ExportRoot(module, ins);
            var names = options.OutputNames ?? (outs.Count == 1 ? ["output"] : outs.Select((_, i) => $"output_{i}").ToArray());
            if (names.Count != outs.Count)
                throw new OnnxExportException(OnnxExportContext.RootPath, module.GetType(), $"{outs.Count} outputs but {names.Count} output names were given.");
            var finalOuts = outs.Select((o, i) => builder.AddOutput(o, names[i])).ToArray();
            return new OnnxExportResult(builder.BuildAndRelease(), ins, finalOuts);
        }
        finally
        {
            module.train(wasTraining);
        }
    }

    public static OnnxExportResult Export(nn.Module module, OnnxInputSpec input, OnnxExportOptions? options = null) =>
        Export(module, [input], options);
}
