namespace LangBridge.Runtime;

/// <summary>The files a manifest uses, and the kind-specific checks of the kinds this runtime serves.</summary>
internal static class BundleKinds
{
    /// <summary>Checks a manifest against the rules of its kind, if the runtime knows the kind.</summary>
    public static void Check(BundleManifest m)
    {
        if (m.Kind == LqaeLayout.Kind)
        {
            LqaeLayout.Resolve(m);
        }
    }

    /// <summary>Every file the manifest refers to, with what refers to it (each must be listed in <c>files</c>).</summary>
    public static IEnumerable<(string Path, string UsedBy)> UsedFiles(BundleManifest m)
    {
        foreach (var (role, graph) in m.Graphs)
        {
            yield return (graph.File, $"graph \"{role}\"");
            foreach (var data in graph.ExternalData ?? [])
            {
                yield return (data, $"graph \"{role}\" (external data)");
            }
        }

        if (m.Tokens is { } tokens)
        {
            yield return (tokens.Vocabulary, "tokens.vocabulary");
        }

        foreach (var (role, asset) in m.Assets ?? new Dictionary<string, AssetSpec>())
        {
            yield return (asset.File, $"asset \"{role}\"");
        }
    }
}
