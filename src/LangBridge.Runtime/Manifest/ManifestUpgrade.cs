namespace LangBridge.Runtime;

/// <summary>
/// Maps a version 1 manifest onto the version 2 model. Version 1 had no tensor meanings: an
/// <c>lqae</c> bundle's tensors were told apart by graph role, position and dtype (the rules of
/// the version 1 format document), and those rules give the meanings here.
/// </summary>
internal static class ManifestUpgrade
{
    public static BundleManifest FromVersion1(BundleManifest m)
    {
        if (m.Kind != LqaeLayout.Kind)
        {
            return m; // other kinds did not exist in version 1; nothing to infer
        }

        var graphs = new Dictionary<string, GraphSpec>(m.Graphs, StringComparer.Ordinal);
        Rewrite(graphs, "encoder", single: TensorMeaning.Image, output: _ => TensorMeaning.Latents);
        Rewrite(graphs, "quantizer", single: TensorMeaning.Latents,
            output: t => t.Dtype switch { TensorDtype.Int64 => TensorMeaning.TokenIds, TensorDtype.Float32 => TensorMeaning.Codes, _ => null });
        Rewrite(graphs, "decoder", single: TensorMeaning.TokenIds, output: _ => TensorMeaning.Image);
        return m with { Graphs = graphs };
    }

    // Only graphs of the version 1 shape (one input; for encoder and decoder one output) get meanings;
    // anything else is left for ImageTokenizer to refuse with its own message.
    private static void Rewrite(Dictionary<string, GraphSpec> graphs, string role, string single, Func<TensorSpec, string?> output)
    {
        if (!graphs.TryGetValue(role, out var graph) || graph.Inputs.Count != 1 || (role != "quantizer" && graph.Outputs.Count != 1))
        {
            return;
        }

        graphs[role] = graph with
        {
            Inputs = [graph.Inputs[0] with { Meaning = graph.Inputs[0].Meaning ?? single }],
            Outputs = graph.Outputs.Select(t => t with { Meaning = t.Meaning ?? output(t) }).ToArray(),
        };
    }
}
