using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LangBridge.Runtime;

/// <summary>
/// One ONNX Runtime session over one verified graph, with the session options and provider
/// options it was built from (kept alive as long as the session, disposed with it).
/// </summary>
internal sealed class GraphSession : IDisposable
{
    private readonly List<IDisposable> _owned;

    private GraphSession(string role, GraphSpec spec, InferenceSession session, ProviderChoice choice, List<IDisposable> owned)
    {
        Role = role;
        Spec = spec;
        Session = session;
        Choice = choice;
        _owned = owned;
    }

    public string Role { get; }

    public GraphSpec Spec { get; }

    public string File => Spec.File;

    public InferenceSession Session { get; }

    public ProviderChoice Choice { get; }

    /// <summary>
    /// Creates the session on the first candidate provider that works. Under Auto a GPU provider
    /// that fails (to append, or to build the session) is logged and the next candidate is tried;
    /// an explicitly requested provider that fails throws.
    /// </summary>
    public static GraphSession Create(ModelBundle bundle, string role, RuntimeOptions options,
        IReadOnlyList<string> available, IReadOnlyList<ExecutionProvider> candidates)
    {
        var spec = bundle.GetGraph(role);
        var model = bundle.ReadVerifiedBytes(spec.File);
        var skipped = new List<string>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var provider = candidates[i];
            var owned = new List<IDisposable>();
            var sessionOptions = new SessionOptions();
            owned.Add(sessionOptions);
            try
            {
                sessionOptions.GraphOptimizationLevel = options.OptimizationLevel;
                if (options.IntraOpThreads > 0)
                {
                    sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
                }

                ExecutionProviders.Append(sessionOptions, provider, options, available, owned, spec);
                InferenceSession session;
                try
                {
                    session = new InferenceSession(model, sessionOptions);
                }
                catch (Exception e) when (NativeErrors.IsNative(e))
                {
                    // A GPU provider can append fine and still fail here (no device, driver mismatch).
                    throw provider == ExecutionProvider.Cpu
                        ? NativeErrors.SessionFailed(spec.File, e)
                        : NativeErrors.ProviderUnavailable(provider, available, e);
                }

                var reason = Reason(options.Provider, provider, available, skipped);
                var choice = new ProviderChoice(provider, reason);
                options.Log?.Invoke($"{role} ({spec.File}) runs on {provider}: {reason}.");
                var graph = new GraphSession(role, spec, session, choice, owned);
                graph.CheckAgainstManifest();
                return graph;
            }
            catch (ExecutionProviderUnavailableException e) when (i < candidates.Count - 1)
            {
                DisposeAll(owned);
                var why = $"{provider} failed ({e.InnerException?.Message.Split('\n', 2)[0] ?? e.Message})";
                skipped.Add(why);
                options.Log?.Invoke($"Auto: {why}; trying {candidates[i + 1]}.");
            }
            catch
            {
                DisposeAll(owned);
                throw;
            }
        }

        throw new InvalidOperationException("Unreachable: the CPU candidate either succeeds or throws.");
    }

    private static string Reason(ExecutionProvider requested, ExecutionProvider chosen, IReadOnlyList<string> available, List<string> skipped)
    {
        if (requested != ExecutionProvider.Auto)
        {
            return $"{chosen} requested";
        }

        if (skipped.Count > 0)
        {
            return $"Auto fell back to {chosen}: {string.Join("; ", skipped)}";
        }

        return chosen == ExecutionProvider.Cpu
            ? $"Auto chose Cpu: the loaded ONNX Runtime offers no GPU provider (available: {string.Join(", ", available)}; {ExecutionProviders.GpuPackage} brings CUDA and TensorRT)"
            : $"Auto chose {chosen}, the fastest provider present (available: {string.Join(", ", available)})";
    }

    /// <summary>Runs the graph over caller-owned input and output values (no allocations by ONNX Runtime).</summary>
    public void Run(RunOptions runOptions, IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs,
        IReadOnlyCollection<string> outputNames, IReadOnlyCollection<OrtValue> outputs)
    {
        try
        {
            Session.Run(runOptions, inputNames, inputs, outputNames, outputs);
        }
        catch (Exception e) when (NativeErrors.IsNative(e))
        {
            throw NativeErrors.RunFailed(File, e);
        }
    }

    public void Dispose()
    {
        Session.Dispose();
        DisposeAll(_owned);
    }

    private static void DisposeAll(List<IDisposable> owned)
    {
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }

        owned.Clear();
    }

    // The manifest is what the runtime builds buffers from; the graph is what ONNX Runtime runs.
    // They must agree on every name, element type and static dimension.
    private void CheckAgainstManifest()
    {
        Check(Spec.Inputs, Session.InputMetadata, "input");
        Check(Spec.Outputs, Session.OutputMetadata, "output");
    }

    private void Check(IReadOnlyList<TensorSpec> declared, IReadOnlyDictionary<string, NodeMetadata> actual, string direction)
    {
        foreach (var tensor in declared)
        {
            if (!actual.TryGetValue(tensor.Name, out var meta))
            {
                Fail($"manifest.json lists {direction} \"{tensor.Name}\" of graph \"{Role}\", but '{File}' has {direction}s [{string.Join(", ", actual.Keys)}]");
            }

            var dtype = DtypeOf(meta!.ElementDataType);
            var dims = meta.Dimensions;
            var sameShape = dims.Length == tensor.Shape.Count &&
                            tensor.Shape.Select((d, k) => d.IsSymbolic ? dims[k] < 0 : dims[k] == d.Size).All(ok => ok);
            if (dtype != tensor.Dtype || !sameShape)
            {
                var actualShape = "[" + string.Join(", ", dims.Select((d, k) => d < 0 ? (meta.SymbolicDimensions[k] is { Length: > 0 } s ? s : "?") : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
                Fail($"manifest.json says {direction} \"{tensor.Name}\" of graph \"{Role}\" is {tensor.Dtype} {tensor.DescribeShape()}, but '{File}' has {dtype} {actualShape}");
            }
        }

        if (actual.Count != declared.Count)
        {
            Fail($"manifest.json lists {declared.Count} {direction}(s) for graph \"{Role}\", but '{File}' has {actual.Count} ([{string.Join(", ", actual.Keys)}])");
        }
    }

    private void Fail(string problem)
    {
        Dispose();
        throw new BundleFormatException(File, problem + ". Re-export the bundle so manifest and graph agree.");
    }

    private static string DtypeOf(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Float16 => "float16",
        TensorElementType.Int64 => "int64",
        TensorElementType.Int32 => "int32",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.Bool => "bool",
        _ => type.ToString(),
    };
}
