using LangBridge.Onnx.Graph;
using static TorchSharp.torch;

namespace LangBridge.Onnx.Export;

/// <summary>Emits the ONNX nodes of one built-in module kind.</summary>
public delegate IReadOnlyList<OnnxValue> OnnxModuleConverter(OnnxExportContext context, nn.Module module, IReadOnlyList<OnnxValue> inputs);

/// <summary>
/// Converters for modules that do not implement <see cref="IOnnxExportable"/> (TorchSharp's built-in
/// modules), one per module type. Lookup: exact type first, then the nearest registered base type.
/// </summary>
public sealed class OnnxConverterRegistry
{
    private readonly Dictionary<Type, OnnxModuleConverter> _converters = new();

    /// <summary>A new registry with every built-in converter (<see cref="BuiltinConverters"/>).</summary>
    public static OnnxConverterRegistry CreateDefault()
    {
        var r = new OnnxConverterRegistry();
        BuiltinConverters.RegisterAll(r);
        return r;
    }

    /// <summary>Shared default registry (do not mutate; use <see cref="CreateDefault"/> for a custom one).</summary>
    public static OnnxConverterRegistry Default { get; } = CreateDefault();

    public IEnumerable<Type> RegisteredTypes => _converters.Keys;

    public OnnxConverterRegistry Register(Type moduleType, OnnxModuleConverter converter)
    {
        if (!typeof(nn.Module).IsAssignableFrom(moduleType)) throw new ArgumentException($"{moduleType} is not a TorchSharp module.");
        _converters[moduleType] = converter;
        return this;
    }

    /// <summary>Registers a converter for a single-input, single-output module type.</summary>
    public OnnxConverterRegistry Register<TModule>(Func<OnnxExportContext, TModule, OnnxValue, OnnxValue> converter) where TModule : nn.Module =>
        Register(typeof(TModule), (ctx, m, ins) =>
        {
            if (ins.Count != 1) throw new InvalidOperationException($"expected 1 input, got {ins.Count}");
            return [converter(ctx, (TModule)m, ins[0])];
        });

    /// <summary>Registers a converter for a multi-input/multi-output module type.</summary>
    public OnnxConverterRegistry Register<TModule>(Func<OnnxExportContext, TModule, IReadOnlyList<OnnxValue>, IReadOnlyList<OnnxValue>> converter) where TModule : nn.Module =>
        Register(typeof(TModule), (ctx, m, ins) => converter(ctx, (TModule)m, ins));

    public bool TryGet(Type moduleType, bool exactOnly, out OnnxModuleConverter converter)
    {
        if (_converters.TryGetValue(moduleType, out converter!)) return true;
        if (!exactOnly)
            for (var t = moduleType.BaseType; t is not null; t = t.BaseType)
                if (_converters.TryGetValue(t, out converter!)) return true;
        converter = null!;
        return false;
    }
}
