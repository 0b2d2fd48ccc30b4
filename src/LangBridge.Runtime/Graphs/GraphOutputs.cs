namespace LangBridge.Runtime;

/// <summary>
/// The outputs ONNX Runtime allocated for one <see cref="BundleGraph.Run(IReadOnlyList{GraphTensor}, IReadOnlyList{string})"/>
/// call, in the order asked for. Dispose it to free them (every tensor it holds).
/// </summary>
public sealed class GraphOutputs : IReadOnlyList<GraphTensor>, IDisposable
{
    private readonly GraphTensor[] _tensors;

    internal GraphOutputs(string graph, GraphTensor[] tensors)
    {
        Graph = graph;
        _tensors = tensors;
    }

    /// <summary>The role of the graph that produced the outputs.</summary>
    public string Graph { get; }

    /// <inheritdoc />
    public int Count => _tensors.Length;

    /// <inheritdoc />
    public GraphTensor this[int index] => _tensors[index];

    /// <summary>The output with the given name.</summary>
    /// <exception cref="KeyNotFoundException">No output of that name was asked for.</exception>
    public GraphTensor this[string name] =>
        Array.Find(_tensors, t => t.Name == name)
        ?? throw new KeyNotFoundException($"Graph \"{Graph}\" returned no output \"{name}\" in this call; it returned [{string.Join(", ", _tensors.Select(t => t.Name))}].");

    /// <inheritdoc />
    public IEnumerator<GraphTensor> GetEnumerator() => ((IEnumerable<GraphTensor>)_tensors).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Frees every output.</summary>
    public void Dispose()
    {
        foreach (var tensor in _tensors)
        {
            tensor.Dispose();
        }
    }
}
