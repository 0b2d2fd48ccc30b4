using System.Runtime.InteropServices;
using Google.Protobuf;
using LangBridge.Onnx.Proto;
using TorchSharp;

namespace LangBridge.Onnx.Graph;

/// <summary>
/// Builds one ONNX graph: inputs/outputs (typically with the symbolic <c>batch</c> dimension),
/// initializers stored as little-endian <c>raw_data</c>, nodes with typed attributes, unique value
/// and node names (optionally under a scope such as a module path), opset and IR version,
/// producer, doc strings and metadata. Every value carries its tracked type and shape
/// (<see cref="OnnxValue"/>), which the op helpers in <see cref="OnnxOps"/> compute.
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly Stack<string> _scopes = new();
    private readonly List<(string Key, string Value)> _metadata = new();
    private readonly Dictionary<string, string> _renamed = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string graphName = "main", int opset = OnnxOpset.Default)
    {
        OnnxOpset.Validate(opset);
        _graph.Name = graphName;
        Opset = opset;
    }

    public int Opset { get; }
    public long IrVersion => OnnxOpset.IrVersionFor(Opset);
    public string ProducerName { get; set; } = "LangBridge";
    public string ProducerVersion { get; set; } = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    /// <summary>Model-level doc string.</summary>
    public string? DocString { get; set; }
    /// <summary>Graph-level doc string.</summary>
    public string? GraphDocString { get; set; }

    public IReadOnlyList<(string Key, string Value)> Metadata => _metadata;
    public int NodeCount => _graph.Node.Count;
    public int InitializerCount => _graph.Initializer.Count;

    /// <summary>Adds (or replaces) a <c>metadata_props</c> entry, e.g. model kind or recipe hash.</summary>
    public OnnxGraphBuilder SetMetadata(string key, string value)
    {
        _metadata.RemoveAll(e => e.Key == key);
        _metadata.Add((key, value));
        return this;
    }

    // ---------------------------------------------------------------- naming

    /// <summary>The current scope prefix ("" at top level), e.g. "encoder.0".</summary>
    public string CurrentScope => _scopes.Count == 0 ? "" : _scopes.Peek();

    /// <summary>Enters a naming scope; nested scopes join with '.'. Dispose to leave it.</summary>
    public IDisposable Scope(string name)
    {
        var full = string.IsNullOrEmpty(CurrentScope) ? name : string.IsNullOrEmpty(name) ? CurrentScope : CurrentScope + "." + name;
        _scopes.Push(full);
        return new ScopeExit(this);
    }

    private sealed class ScopeExit(OnnxGraphBuilder owner) : IDisposable
    {
        private bool _done;
        public void Dispose() { if (!_done) { owner._scopes.Pop(); _done = true; } }
    }

    /// <summary>Whether a value/initializer name is already used.</summary>
    public bool IsNameTaken(string name) => _names.Contains(name);

    /// <summary>Returns <paramref name="baseName"/> or, when taken, <c>baseName_1</c>, <c>baseName_2</c>, ... and reserves it.</summary>
    public string UniqueName(string baseName)
    {
        if (_names.Add(baseName)) return baseName;
        _counters.TryGetValue(baseName, out int n);
        string candidate;
        do { n++; candidate = $"{baseName}_{n}"; } while (_names.Contains(candidate));
        _counters[baseName] = n;
        _names.Add(candidate);
        return candidate;
    }

    /// <summary>The current name of a value (outputs renamed by <see cref="AddOutput"/> keep working under their old handle).</summary>
    private string Resolve(string name)
    {
        while (_renamed.TryGetValue(name, out var next)) name = next;
        return name;
    }

    private string Scoped(string local) => string.IsNullOrEmpty(CurrentScope) ? local : CurrentScope + "." + local;

    // ---------------------------------------------------------------- inputs / outputs

    /// <summary>Adds a graph input. The name is used as given and must be unused.</summary>
    public OnnxValue AddInput(string name, OnnxElementType type, params OnnxDim[] shape)
    {
        if (!_names.Add(name)) throw new ArgumentException($"Graph input name '{name}' is already used.", nameof(name));
        _graph.Input.Add(MakeValueInfo(name, type, shape));
        return new OnnxValue(name, type, shape);
    }

    /// <summary>
    /// Marks <paramref name="value"/> as a graph output under <paramref name="name"/>. A node output is
    /// renamed in place (the <see cref="OnnxValue"/> returned carries the new name; earlier handles still
    /// work as node inputs). Graph inputs, initializers and values that already are
    /// outputs are exposed through an Identity node.
    /// </summary>
    public OnnxValue AddOutput(OnnxValue value, string? name = null, IReadOnlyList<OnnxDim>? shape = null)
    {
        name ??= value.Name;
        shape ??= value.Shape;
        value = value with { Name = Resolve(value.Name) };
        var producer = _graph.Node.LastOrDefault(n => n.Output.Contains(value.Name));
        bool alreadyOutput = _graph.Output.Any(o => o.Name == value.Name);
        if (producer is not null && !alreadyOutput && name != value.Name && !_names.Contains(name))
        {
            // Rename the producing node's output (and its consumers) instead of adding an Identity.
            _names.Add(name);
            _renamed[value.Name] = name;
            for (int i = 0; i < producer.Output.Count; i++) if (producer.Output[i] == value.Name) producer.Output[i] = name;
            foreach (var n in _graph.Node)
                for (int i = 0; i < n.Input.Count; i++) if (n.Input[i] == value.Name) n.Input[i] = name;
        }
        else if (name != value.Name || producer is null || alreadyOutput)
        {
            if (!_names.Add(name)) throw new ArgumentException($"Graph output name '{name}' is already used.", nameof(name));
            var node = new NodeProto { OpType = "Identity", Name = UniqueName(Scoped("Identity_" + name)) };
            node.Input.Add(value.Name);
            node.Output.Add(name);
            _graph.Node.Add(node);
        }
        _graph.Output.Add(MakeValueInfo(name, value.ElementType, shape));
        return value with { Name = name, Shape = shape };
    }

    private static ValueInfoProto MakeValueInfo(string name, OnnxElementType type, IReadOnlyList<OnnxDim> shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var d in shape)
            tensorShape.Dim.Add(d.IsStatic ? new TensorShapeProto.Types.Dimension { DimValue = d.Value!.Value }
                                           : new TensorShapeProto.Types.Dimension { DimParam = d.Param });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = tensorShape } },
        };
    }

    // ---------------------------------------------------------------- initializers

    /// <summary>Adds a float32 initializer named <c>scope.name</c> (made unique).</summary>
    public OnnxValue AddInitializer(string name, ReadOnlySpan<float> data, params long[] dims) =>
        AddRaw(name, OnnxElementType.Float, dims, data.Length, MemoryMarshal.AsBytes(data), sizeof(float));

    /// <summary>Adds an int64 initializer named <c>scope.name</c> (made unique).</summary>
    public OnnxValue AddInitializer(string name, ReadOnlySpan<long> data, params long[] dims) =>
        AddRaw(name, OnnxElementType.Int64, dims, data.Length, MemoryMarshal.AsBytes(data), sizeof(long));

    /// <summary>Adds a float32 scalar (rank 0) initializer.</summary>
    public OnnxValue AddScalar(string name, float value) => AddInitializer(name, [value]);

    /// <summary>Adds an int64 1-D initializer (shape [n]), e.g. a Reshape target.</summary>
    public OnnxValue AddInt64Vector(string name, params long[] values) => AddInitializer(name, values, values.Length);

    /// <summary>
    /// Adds a TorchSharp tensor (float32 or int64; other float types are converted to float32) as an
    /// initializer with the tensor's shape. The tensor is not modified.
    /// </summary>
    public OnnxValue AddInitializer(string name, torch.Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        var t = tensor.detach();
        if (t.device_type != DeviceType.CPU) t = t.cpu();
        var type = t.dtype switch
        {
            torch.ScalarType.Int64 => OnnxElementType.Int64,
            torch.ScalarType.Float32 => OnnxElementType.Float,
            torch.ScalarType.Float64 or torch.ScalarType.Float16 or torch.ScalarType.BFloat16 => OnnxElementType.Float,
            _ => throw new NotSupportedException($"Initializer '{name}': tensors of type {t.dtype} are not supported."),
        };
        if (type == OnnxElementType.Float && t.dtype != torch.ScalarType.Float32) t = t.to_type(torch.ScalarType.Float32);
        t = t.contiguous();
        int elementSize = type == OnnxElementType.Int64 ? sizeof(long) : sizeof(float);
        return AddRaw(name, type, t.shape, t.numel(), t.bytes, elementSize);
    }

    private OnnxValue AddRaw(string name, OnnxElementType type, long[] dims, long count, ReadOnlySpan<byte> bytes, int elementSize)
    {
        long expected = 1;
        foreach (var d in dims) expected *= d;
        if (expected != count)
            throw new ArgumentException($"Initializer '{name}': {count} values do not fill shape {OnnxShape.Format(dims.Select(OnnxDim.Of).ToArray())}.");
        var unique = UniqueName(Scoped(name));
        var proto = new TensorProto { Name = unique, DataType = (int)type };
        proto.Dims.AddRange(dims);
        proto.RawData = ToLittleEndian(bytes, elementSize);
        _graph.Initializer.Add(proto);
        return new OnnxValue(unique, type, dims.Select(OnnxDim.Of).ToArray());
    }

    private static ByteString ToLittleEndian(ReadOnlySpan<byte> bytes, int elementSize)
    {
        if (BitConverter.IsLittleEndian) return ByteString.CopyFrom(bytes);
        var copy = bytes.ToArray();
        for (int i = 0; i < copy.Length; i += elementSize) copy.AsSpan(i, elementSize).Reverse();
        return ByteString.CopyFrom(copy);
    }

    // ---------------------------------------------------------------- nodes

    /// <summary>
    /// Adds a node. <paramref name="inputs"/> may contain null for an omitted optional input.
    /// One output is created per entry of <paramref name="outputs"/> (type and shape as given);
    /// output names are <c>scope.OpType_out</c> made unique. Returns the outputs.
    /// </summary>
    public OnnxValue[] AddNode(
        string opType,
        IReadOnlyList<OnnxValue?> inputs,
        IReadOnlyList<(OnnxElementType Type, IReadOnlyList<OnnxDim> Shape)> outputs,
        IReadOnlyList<OnnxAttribute>? attributes = null,
        string? name = null,
        string? docString = null,
        string domain = "")
    {
        var node = new NodeProto
        {
            OpType = opType,
            Domain = domain,
            Name = UniqueName(Scoped(name ?? opType)),
        };
        if (docString is not null) node.DocString = docString;
        foreach (var input in inputs) node.Input.Add(input is null ? "" : Resolve(input.Name));
        var result = new OnnxValue[outputs.Count];
        for (int i = 0; i < outputs.Count; i++)
        {
            var outName = UniqueName(Scoped((name ?? opType) + (outputs.Count == 1 ? "_out" : "_out" + i)));
            node.Output.Add(outName);
            result[i] = new OnnxValue(outName, outputs[i].Type, outputs[i].Shape);
        }
        if (attributes is not null)
        {
            var seen = new HashSet<string>();
            foreach (var a in attributes)
            {
                if (!seen.Add(a.Name)) throw new ArgumentException($"Node {opType}: attribute '{a.Name}' given twice.");
                node.Attribute.Add(a.Proto.Clone());
            }
        }
        _graph.Node.Add(node);
        return result;
    }

    /// <summary>Adds a single-output node whose output has the given type and shape.</summary>
    public OnnxValue AddNode(string opType, IReadOnlyList<OnnxValue?> inputs, OnnxElementType outputType,
        IReadOnlyList<OnnxDim> outputShape, params OnnxAttribute[] attributes) =>
        AddNode(opType, inputs, [(outputType, outputShape)], attributes)[0];

    // ---------------------------------------------------------------- output

    /// <summary>Builds the <see cref="ModelProto"/> (a fresh copy each call).</summary>
    public ModelProto Build() => CreateModel(_graph.Clone());

    /// <summary>Builds the model without copying the graph (the builder must not be used afterwards).</summary>
    internal ModelProto BuildAndRelease() => CreateModel(_graph);

    private ModelProto CreateModel(GraphProto graph)
    {
        if (graph.Output.Count == 0) throw new InvalidOperationException("The graph has no outputs.");
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = ProducerVersion,
            ModelVersion = 1,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (DocString is not null) model.DocString = DocString;
        if (GraphDocString is not null) model.Graph.DocString = GraphDocString;
        foreach (var (k, v) in _metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model;
    }

    /// <summary>Serialises the model to bytes.</summary>
    public byte[] ToBytes() => Build().ToByteArray();

    /// <summary>Writes the model to <paramref name="path"/> (written to a temporary file, then moved into place).</summary>
    public void Save(string path) => OnnxModelIO.Save(Build(), path);
}

/// <summary>Reading and writing <see cref="ModelProto"/> files.</summary>
public static class OnnxModelIO
{
    public static void Save(ModelProto model, string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp-" + Environment.ProcessId;
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        using (var cos = new CodedOutputStream(fs, leaveOpen: true))
        {
            model.WriteTo(cos);
            cos.Flush();
        }
        File.Move(tmp, full, overwrite: true);
    }

    public static ModelProto Load(string path)
    {
        using var fs = File.OpenRead(path);
        return ModelProto.Parser.ParseFrom(fs);
    }

    public static ModelProto Parse(byte[] bytes) => ModelProto.Parser.ParseFrom(bytes);
}
