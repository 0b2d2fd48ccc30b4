using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime;

/// <summary>
/// One ONNX Runtime session over one verified graph of a <see cref="ModelBundle"/>, with typed,
/// named inputs and outputs checked against the manifest on every call (element type, static
/// dimensions, and each symbolic dimension such as <c>batch</c> or <c>sequence</c> the same size
/// wherever it occurs). The building block of the model-kind wrappers (<see cref="ImageTokenizer"/>, …).
/// Thread-safe: any number of threads may call <c>Run</c> concurrently; <see cref="Dispose"/> waits
/// for calls still running.
/// </summary>
/// <example><code>
/// var bundle = ModelBundle.Load("bundles/minilm");
/// using var encoder = BundleGraph.Open(bundle, "text_encoder", new RuntimeOptions { Log = Console.WriteLine });
/// var ids = encoder.Input(TensorMeaning.InputIds);                 // found by meaning, not position
/// using var outputs = encoder.Run([GraphTensor.FromMemory(ids.Name, tokenIds.AsMemory(), 1, tokenIds.Length), …]);
/// </code></example>
public sealed class BundleGraph : IDisposable
{
    /// <summary>
    /// ONNX Runtime's session option naming the folder external-data files are read from when a model
    /// is loaded from bytes (<c>kOrtSessionOptionsModelExternalInitializersFileFolderPath</c>).
    /// </summary>
    internal const string ExternalDataFolderKey = "session.model_external_initializers_file_folder_path";

    private readonly InferenceSession _session;
    private readonly List<IDisposable> _owned;
    private readonly RunOptions _runOptions = new();

    // ONNX Runtime's session option: intra-op threads spin-wait between runs ("1", its default) or sleep ("0").
    private const string AllowSpinningKey = "session.intra_op.allow_spinning";
    private readonly CallGate _gate;

    private BundleGraph(string role, GraphSpec spec, InferenceSession session, ProviderChoice choice, List<IDisposable> owned)
    {
        Role = role;
        _gate = new CallGate(nameof(BundleGraph), $"Graph \"{role}\" was disposed.");
        Spec = spec;
        _session = session;
        Provider = choice;
        _owned = owned;
    }

    /// <summary>The graph's role in the bundle (<c>encoder</c>, <c>text_encoder</c>, …).</summary>
    public string Role { get; }

    /// <summary>The manifest's description of the graph.</summary>
    public GraphSpec Spec { get; }

    /// <summary>The graph file, relative to the bundle folder.</summary>
    public string File => Spec.File;

    /// <summary>The execution provider the session runs on, and why it was chosen.</summary>
    public ProviderChoice Provider { get; }

    /// <summary>
    /// Opens one graph: hashes its bytes again (and its external data), creates the session on the
    /// provider <paramref name="options"/> asks for (Auto: TensorRT, CUDA, then CPU, logging each
    /// step) and checks the graph against the manifest.
    /// </summary>
    /// <exception cref="BundleFormatException">The bundle has no such graph, or the graph contradicts the manifest.</exception>
    /// <exception cref="BundleIntegrityException">A file changed after the bundle was loaded.</exception>
    /// <exception cref="ExecutionProviderUnavailableException">The requested provider is not present or fails to start.</exception>
    /// <exception cref="UnsupportedOpsetException">ONNX Runtime refuses the graph's opset or IR version.</exception>
    /// <exception cref="InferenceException">ONNX Runtime could not load the graph for another reason.</exception>
    public static BundleGraph Open(ModelBundle bundle, string role, RuntimeOptions? options = null) =>
        OpenAll(bundle, [role], options)[0];

    /// <summary>
    /// Opens several graphs of one bundle. Later graphs start from the provider the first one landed
    /// on (no point retrying a GPU that failed). On failure, the graphs already opened are disposed.
    /// </summary>
    /// <inheritdoc cref="Open" path="/exception"/>
    public static IReadOnlyList<BundleGraph> OpenAll(ModelBundle bundle, IReadOnlyList<string> roles, RuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(roles);
        options ??= RuntimeOptions.Default;
        options.Validate();
        foreach (var role in roles)
        {
            bundle.GetGraph(role); // an unknown role fails before any session exists
        }

        return OpenAll(bundle, roles, options, ExecutionProviders.Available());
    }

    /// <summary><see cref="OpenAll(ModelBundle, IReadOnlyList{string}, RuntimeOptions?)"/> with the provider list given (tests pretend GPU providers).</summary>
    internal static IReadOnlyList<BundleGraph> OpenAll(ModelBundle bundle, IReadOnlyList<string> roles, RuntimeOptions options, IReadOnlyList<string> available)
    {
        var candidates = ExecutionProviders.Candidates(options.Provider, available, options.Log);
        var created = new List<BundleGraph>(roles.Count);
        BundleGraph? first = null;
        try
        {
            foreach (var role in roles)
            {
                var graph = Create(bundle, role, options, available, candidates, first);
                created.Add(graph);
                if (first is null)
                {
                    var remaining = candidates.SkipWhile(c => c != graph.Provider.Provider).ToArray();
                    first = remaining.Length < candidates.Count ? graph : null; // later graphs skip what failed here: say so
                    candidates = remaining;
                }
            }

            return created;
        }
        catch
        {
            created.ForEach(g => g.Dispose());
            throw;
        }
    }

    /// <summary>
    /// Creates the session on the first candidate provider that works. Under Auto a GPU provider
    /// that fails (to append, or to build the session) is logged and the next candidate is tried;
    /// an explicitly requested provider that fails throws.
    /// </summary>
    internal static BundleGraph Create(ModelBundle bundle, string role, RuntimeOptions options,
        IReadOnlyList<string> available, IReadOnlyList<ExecutionProvider> candidates, BundleGraph? landedFirst = null)
    {
        var spec = bundle.GetGraph(role);
        var model = bundle.ReadVerifiedBytes(spec.File);
        var external = spec.ExternalData ?? [];
        foreach (var data in external)
        {
            // ONNX Runtime reads these from disk itself: hash them again just before it does.
            bundle.VerifyAgain(data);
        }

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

                sessionOptions.AddSessionConfigEntry(AllowSpinningKey, options.ThreadSpinning ? "1" : "0");

                if (external.Count > 0)
                {
                    sessionOptions.AddSessionConfigEntry(ExternalDataFolderKey, bundle.GraphFolder(spec));
                }

                ExecutionProviders.Append(sessionOptions, provider, options, available, owned, spec);
                InferenceSession session;
                try
                {
                    session = new InferenceSession(model, sessionOptions);
                }
                catch (Exception e) when (OnnxRuntimeErrors.IsNative(e))
                {
                    // A GPU provider can append fine and still fail here (no device, driver mismatch).
                    throw provider == ExecutionProvider.Cpu
                        ? OnnxRuntimeErrors.SessionFailed(spec.File, e)
                        : OnnxRuntimeErrors.ProviderUnavailable(provider, available, e);
                }

                var reason = landedFirst is not null && skipped.Count == 0 && options.Provider == ExecutionProvider.Auto
                    ? $"Auto stays on {provider}, where graph \"{landedFirst.Role}\" landed ({landedFirst.Provider.Reason})"
                    : Reason(options.Provider, provider, available, skipped);
                var choice = new ProviderChoice(provider, reason);
                options.Log?.Invoke($"{role} ({spec.File}) runs on {provider}: {reason}.");
                var graph = new BundleGraph(role, spec, session, choice, owned);
                graph.CheckAgainstManifest();
                return graph;
            }
            catch (ExecutionProviderUnavailableException e) when (i < candidates.Count - 1)
            {
                DisposeAll(owned);
                var why = $"{provider} failed ({OnnxRuntimeErrors.Summary(e)})";
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

    /// <summary>The input with the given meaning (<see cref="TensorMeaning"/>).</summary>
    /// <exception cref="BundleFormatException">The graph has no input with that meaning.</exception>
    public TensorSpec Input(string meaning) =>
        Spec.FindInput(meaning) ?? throw Missing("input", meaning, Spec.Inputs);

    /// <summary>The output with the given meaning (<see cref="TensorMeaning"/>).</summary>
    /// <exception cref="BundleFormatException">The graph has no output with that meaning.</exception>
    public TensorSpec Output(string meaning) =>
        Spec.FindOutput(meaning) ?? throw Missing("output", meaning, Spec.Outputs);

    /// <summary>
    /// Checks a complete set of inputs against the manifest and returns the size of every symbolic
    /// dimension they bind (e.g. <c>batch = 2, sequence = 7</c>), to size output buffers with <see cref="OutputShape"/>.
    /// </summary>
    /// <exception cref="InputShapeException">An input is missing, unknown, of the wrong element type or shape.</exception>
    public IReadOnlyDictionary<string, long> BindDimensions(IReadOnlyList<GraphTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var dims = new Dictionary<string, long>(StringComparer.Ordinal);
        CheckSet(inputs, Spec.Inputs, "input", requireAll: true);
        foreach (var tensor in inputs)
        {
            CheckTensor(tensor, Spec.Inputs.First(t => t.Name == tensor.Name), "input", dims);
        }

        return dims;
    }

    /// <summary>The concrete shape of an output for the given dimension sizes (from <see cref="BindDimensions"/>).</summary>
    /// <exception cref="ArgumentException">No output of that name.</exception>
    /// <exception cref="InvalidOperationException">The output has a symbolic dimension the sizes do not give (one only ONNX Runtime knows).</exception>
    public long[] OutputShape(string outputName, IReadOnlyDictionary<string, long> dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        var spec = Spec.Outputs.FirstOrDefault(t => t.Name == outputName)
                   ?? throw new ArgumentException($"Graph \"{Role}\" has no output \"{outputName}\"; it has [{string.Join(", ", Spec.Outputs.Select(t => t.Name))}].", nameof(outputName));
        return spec.Shape.Select(d => d.IsSymbolic
            ? dimensions.TryGetValue(d.Symbol!, out var size)
                ? size
                : throw new InvalidOperationException($"Output \"{outputName}\" of graph \"{Role}\" has dimension \"{d.Symbol}\", which no input binds; let ONNX Runtime allocate it (Run without outputs).")
            : d.Size!.Value).ToArray();
    }

    /// <summary>
    /// Runs the graph; ONNX Runtime allocates every output (or those named in <paramref name="outputNames"/>).
    /// Dispose the result to free them.
    /// </summary>
    /// <exception cref="InputShapeException">An input is missing, unknown, of the wrong element type or shape.</exception>
    /// <exception cref="InferenceException">ONNX Runtime failed while running the graph.</exception>
    public GraphOutputs Run(IReadOnlyList<GraphTensor> inputs, IReadOnlyList<string>? outputNames = null)
    {
        BindDimensions(inputs);
        var names = outputNames ?? Spec.Outputs.Select(t => t.Name).ToArray();
        foreach (var name in names)
        {
            if (!Spec.Outputs.Any(t => t.Name == name))
            {
                throw new ArgumentException($"Graph \"{Role}\" has no output \"{name}\"; it has [{string.Join(", ", Spec.Outputs.Select(t => t.Name))}].", nameof(outputNames));
            }
        }

        Enter();
        try
        {
            IDisposableReadOnlyCollection<OrtValue> values;
            try
            {
                values = _session.Run(_runOptions, inputs.Select(t => t.Name).ToArray(), inputs.Select(t => t.Value).ToArray(), names);
            }
            catch (Exception e) when (OnnxRuntimeErrors.IsNative(e))
            {
                throw OnnxRuntimeErrors.RunFailed(File, e);
            }

            // The collection's values move into the tensors, which free them one by one.
            var tensors = new GraphTensor[values.Count];
            try
            {
                for (var i = 0; i < tensors.Length; i++)
                {
                    tensors[i] = GraphTensor.Own(names[i], values[i]);
                }
            }
            catch
            {
                values.Dispose();
                throw;
            }

            return new GraphOutputs(Role, tensors);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Runs the graph into caller-provided outputs (any subset of the graph's outputs): ONNX Runtime
    /// writes straight into their memory and allocates nothing for them.
    /// </summary>
    /// <exception cref="InputShapeException">An input or output is missing, unknown, of the wrong element type or shape, or a read-only output.</exception>
    /// <exception cref="InferenceException">ONNX Runtime failed while running the graph.</exception>
    public void Run(IReadOnlyList<GraphTensor> inputs, IReadOnlyList<GraphTensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var dims = new Dictionary<string, long>(BindDimensions(inputs), StringComparer.Ordinal);
        CheckSet(outputs, Spec.Outputs, "output", requireAll: false);
        foreach (var tensor in outputs)
        {
            if (tensor.IsReadOnly)
            {
                throw new InputShapeException($"output \"{tensor.Name}\" of graph \"{Role}\"", "writable memory", "a read-only tensor");
            }

            CheckTensor(tensor, Spec.Outputs.First(t => t.Name == tensor.Name), "output", dims);
        }

        Enter();
        try
        {
            _session.Run(_runOptions, inputs.Select(t => t.Name).ToArray(), inputs.Select(t => t.Value).ToArray(),
                outputs.Select(t => t.Name).ToArray(), outputs.Select(t => t.Value).ToArray());
        }
        catch (Exception e) when (OnnxRuntimeErrors.IsNative(e))
        {
            throw OnnxRuntimeErrors.RunFailed(File, e);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Releases the session; waits for calls still running on other threads.</summary>
    public void Dispose()
    {
        if (!_gate.Close())
        {
            return;
        }

        _session.Dispose();
        _runOptions.Dispose();
        DisposeAll(_owned);
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

    private void CheckSet(IReadOnlyList<GraphTensor> given, IReadOnlyList<TensorSpec> declared, string direction, bool requireAll)
    {
        var names = given.Select(t => t?.Name).ToArray();
        var unknown = names.Where(n => !declared.Any(d => d.Name == n)).ToArray();
        var missing = requireAll ? declared.Where(d => !names.Contains(d.Name)).Select(d => d.Name).ToArray() : [];
        var twice = names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (unknown.Length > 0 || missing.Length > 0 || twice.Length > 0)
        {
            var problems = new List<string>();
            if (missing.Length > 0)
            {
                problems.Add($"missing [{string.Join(", ", missing)}]");
            }

            if (unknown.Length > 0)
            {
                problems.Add($"unknown [{string.Join(", ", unknown)}]");
            }

            if (twice.Length > 0)
            {
                problems.Add($"given twice [{string.Join(", ", twice)}]");
            }

            throw new InputShapeException($"{direction}s of graph \"{Role}\" ({File})",
                $"{(requireAll ? "" : "some of ")}[{string.Join(", ", declared.Select(d => $"{d.Name}: {d.Dtype} {d.DescribeShape()}"))}]",
                $"[{string.Join(", ", names)}] ({string.Join("; ", problems)})");
        }
    }

    private void CheckTensor(GraphTensor tensor, TensorSpec spec, string direction, Dictionary<string, long> dims)
    {
        var what = $"{direction} \"{spec.Name}\" of graph \"{Role}\"";
        if (tensor.Dtype != spec.Dtype)
        {
            throw new InputShapeException($"element type of {what}", spec.Dtype, tensor.Dtype);
        }

        var shape = tensor.Shape;
        var ok = shape.Count == spec.Shape.Count;
        for (var k = 0; ok && k < shape.Count; k++)
        {
            var d = spec.Shape[k];
            if (!d.IsSymbolic)
            {
                ok = shape[k] == d.Size;
            }
            else if (dims.TryGetValue(d.Symbol!, out var bound))
            {
                ok = shape[k] == bound;
            }
            else
            {
                dims[d.Symbol!] = shape[k];
            }
        }

        if (!ok)
        {
            var bindings = spec.Shape.Where(d => d.IsSymbolic && dims.ContainsKey(d.Symbol!)).Select(d => d.Symbol!).Distinct()
                .Select(s => $"{s} = {dims[s].ToString(CultureInfo.InvariantCulture)}").ToArray();
            throw new InputShapeException($"shape of {what}",
                spec.DescribeShape() + (bindings.Length > 0 ? $" with {string.Join(", ", bindings)} (as bound by the tensors before it)" : string.Empty),
                tensor.DescribeShape());
        }
    }

    private BundleFormatException Missing(string direction, string meaning, IReadOnlyList<TensorSpec> tensors) =>
        new(ManifestJson.FileName,
            $"Graph \"{Role}\" ({File}) has no {direction} with meaning \"{meaning}\"; its {direction}s are [{string.Join(", ", tensors.Select(t => $"{t.Name}: {t.Meaning ?? "no meaning"}"))}]. " +
            "Re-export the bundle with the meaning declared.");

    private void Enter() => _gate.Enter();

    private void Exit() => _gate.Exit();

    private static void DisposeAll(List<IDisposable> owned)
    {
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }

        owned.Clear();
    }

    // The manifest is what callers build buffers from; the graph is what ONNX Runtime runs.
    // They must agree on every name, element type and static dimension, and symbolic dimensions
    // must be dynamic in the graph.
    private void CheckAgainstManifest()
    {
        Check(Spec.Inputs, _session.InputMetadata, "input");
        Check(Spec.Outputs, _session.OutputMetadata, "output");
    }

    private void Check(IReadOnlyList<TensorSpec> declared, IReadOnlyDictionary<string, NodeMetadata> actual, string direction)
    {
        foreach (var tensor in declared)
        {
            if (!actual.TryGetValue(tensor.Name, out var meta))
            {
                Fail($"manifest.json lists {direction} \"{tensor.Name}\" of graph \"{Role}\", but '{File}' has {direction}s [{string.Join(", ", actual.Keys)}]");
            }

            var dtype = meta!.IsTensor ? TensorDtype.Of(meta.ElementDataType) : meta.OnnxValueType.ToString();
            var dims = meta.IsTensor ? meta.Dimensions : [];
            var sameShape = dims.Length == tensor.Shape.Count &&
                            tensor.Shape.Select((d, k) => d.IsSymbolic ? dims[k] < 0 : dims[k] == d.Size).All(same => same);
            if (dtype != tensor.Dtype || !sameShape)
            {
                var actualShape = "[" + string.Join(", ", dims.Select((d, k) => d < 0 ? (meta.SymbolicDimensions[k] is { Length: > 0 } s ? s : "?") : d.ToString(CultureInfo.InvariantCulture))) + "]";
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
}
