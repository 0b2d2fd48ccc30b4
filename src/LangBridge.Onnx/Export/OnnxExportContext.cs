using LangBridge.Onnx.Graph;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Export;

/// <summary>
/// State of one export: the graph builder, the converter registry and the path of the module
/// being exported. Composite modules call <see cref="Export(nn.Module, string, OnnxValue)"/> for
/// each child and <see cref="Weight"/> for their own parameters.
/// </summary>
public sealed class OnnxExportContext
{
    public const string RootPath = "(root)";
    private readonly Stack<string> _path = new();

    public OnnxExportContext(OnnxGraphBuilder builder, OnnxConverterRegistry registry)
    {
        Builder = builder;
        Registry = registry;
    }

    public OnnxGraphBuilder Builder { get; }
    public OnnxConverterRegistry Registry { get; }
    public int Opset => Builder.Opset;

    /// <summary>Dotted path of the module being exported ("" at the root), e.g. "encoder.2.conv1".</summary>
    public string CurrentPath => _path.Count == 0 ? "" : _path.Peek();

    private static string Display(string path) => path.Length == 0 ? RootPath : path;

    /// <summary>Adds <paramref name="tensor"/> as an initializer named after the current module path (e.g. "encoder.0.weight").</summary>
    public OnnxValue Weight(Tensor tensor, string localName) => Builder.AddInitializer(localName, tensor);

    /// <summary>Adds a float32 constant initializer in the current scope.</summary>
    public OnnxValue Constant(string localName, ReadOnlySpan<float> data, params long[] dims) => Builder.AddInitializer(localName, data, dims);

    /// <summary>Adds a float32 scalar constant in the current scope.</summary>
    public OnnxValue Scalar(string localName, float value) => Builder.AddScalar(localName, value);

    /// <summary>Exports the child <paramref name="module"/> registered under <paramref name="name"/> on one input; expects one output.</summary>
    public OnnxValue Export(nn.Module module, string name, OnnxValue input)
    {
        var outs = Export(module, name, [input]);
        if (outs.Count != 1)
            throw new OnnxExportException(Display(Join(name)), module.GetType(), $"expected one output, the converter returned {outs.Count}.");
        return outs[0];
    }

    /// <summary>Exports the child <paramref name="module"/> registered under <paramref name="name"/>.</summary>
    public IReadOnlyList<OnnxValue> Export(nn.Module module, string name, IReadOnlyList<OnnxValue> inputs)
    {
        var path = Join(name);
        _path.Push(path);
        try
        {
            using var scope = Builder.Scope(name);
            return Dispatch(module, path, inputs);
        }
        finally
        {
            _path.Pop();
        }
    }

    internal IReadOnlyList<OnnxValue> ExportRoot(nn.Module module, IReadOnlyList<OnnxValue> inputs) => Dispatch(module, "", inputs);

    private string Join(string name) => CurrentPath.Length == 0 ? name : name.Length == 0 ? CurrentPath : CurrentPath + "." + name;

    private IReadOnlyList<OnnxValue> Dispatch(nn.Module module, string path, IReadOnlyList<OnnxValue> inputs)
    {
        var type = module.GetType();
        try
        {
            if (Registry.TryGet(type, exactOnly: true, out var exact)) return exact(this, module, inputs);
            if (module is IOnnxExportable exportable) return exportable.ExportOnnx(this, inputs);
            if (Registry.TryGet(type, exactOnly: false, out var inherited)) return inherited(this, module, inputs);
        }
        catch (OnnxExportException)
        {
            throw;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NotSupportedException)
        {
            throw new OnnxExportException(Display(path), type, e.Message, e);
        }
        throw new OnnxExportException(Display(path), type,
            $"no ONNX converter is registered for this type and it does not implement {nameof(IOnnxExportable)}.");
    }

    /// <summary>Fails the export of the current module with <paramref name="problem"/> (e.g. an unsupported setting).</summary>
    public OnnxExportException Unsupported(nn.Module module, string problem) =>
        new(Display(CurrentPath), module.GetType(), problem);
}
