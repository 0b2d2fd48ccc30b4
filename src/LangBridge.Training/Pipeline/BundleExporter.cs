using LangBridge.Data;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Runtime;
using LangBridge.Training.Kinds;

namespace LangBridge.Training.Pipeline;

/// <summary>A bundle as exported: each graph's export result by role (kept for parity checks) and the sealed manifest.</summary>
public sealed record BundleExport(string Folder, IReadOnlyDictionary<string, OnnxExportResult> Graphs, BundleManifest Manifest)
{
    /// <summary>The export of the graph with role <paramref name="role"/>.</summary>
    public OnnxExportResult Graph(string role) =>
        Graphs.TryGetValue(role, out var g) ? g : throw new KeyNotFoundException($"the bundle has no '{role}' graph; it has [{string.Join(", ", Graphs.Keys)}]");
}

/// <summary>
/// Writes any kind's bundle (docs/bundle-format.md) from its <see cref="BundleDefinition"/>: every graph
/// exported with the project's ONNX exporter, its manifest specs derived from what the export produced,
/// the assets, and a sealed <c>manifest.json</c>. The bundle is written into a staging folder beside the
/// target and moved into place only when complete, so an existing bundle is replaced whole (never mixed
/// with files, such as an old parity report, from an earlier export).
/// </summary>
public static class BundleExporter
{
    public static BundleExport Export(KindModel model, string folder, int opset = OnnxOpset.Default, string producer = "langbridge")
    {
        var recipe = model.Recipe;
        var definition = model.DefineBundle();
        var target = Path.GetFullPath(folder);
        var staging = BundleFolder.Stage(target);
        try
        {
            var metadata = new Dictionary<string, string> { ["model"] = recipe.Name, ["kind"] = recipe.Kind, ["recipe_sha256"] = recipe.Sha256 };
            var graphs = new Dictionary<string, OnnxExportResult>(StringComparer.Ordinal);
            var specs = new Dictionary<string, GraphSpec>(StringComparer.Ordinal);
            foreach (var g in definition.Graphs)
            {
                var result = OnnxExporter.Export(g.Module, g.Inputs.Select(i => i.Spec).ToArray(), new OnnxExportOptions
                {
                    Opset = opset, GraphName = $"{recipe.Name}.{g.Role}", OutputNames = g.Outputs.Select(o => o.Name).ToArray(),
                    Metadata = metadata, ProducerVersion = producer, DocString = $"LangBridge {recipe.Kind} {g.Role} of '{recipe.Name}'",
                });
                result.Save(Path.Combine(staging, g.File));
                graphs[g.Role] = result;
                specs[g.Role] = new GraphSpec
                {
                    File = g.File,
                    Inputs = result.Inputs.Select(v => ToSpec(v, g.Inputs.First(i => i.Spec.Name == v.Name).Meaning)).ToArray(),
                    Outputs = result.Outputs.Select((v, k) => ToSpec(v, g.Outputs[k].Meaning)).ToArray(),
                };
            }
            foreach (var asset in definition.Assets)
                AtomicFile.Write(Path.Combine(staging, asset.File), s => s.Write(asset.Content));

            var first = graphs.Values.First();
            var manifest = BundleWriter.Seal(staging, new BundleManifest
            {
                Name = recipe.Name,
                Kind = recipe.Kind,
                Producer = producer,
                Opset = opset,
                IrVersion = (int)first.Model.IrVersion,
                RecipeSha256 = recipe.Sha256,
                Image = definition.Image,
                Tokens = definition.Tokens,
                Graphs = specs,
                Assets = definition.Assets.Count == 0 ? null
                    : definition.Assets.ToDictionary(a => a.Role, a => new AssetSpec { File = a.File, Type = a.Type }),
            });
            BundleFolder.Publish(staging, target);
            return new BundleExport(target, graphs, manifest);
        }
        catch
        {
            BundleFolder.Discard(staging);
            throw;
        }
    }

    /// <summary>The manifest's view of one exported graph value.</summary>
    private static TensorSpec ToSpec(OnnxValue value, string meaning) => new()
    {
        Name = value.Name,
        Dtype = value.ElementType.ToShortName(),
        Meaning = meaning,
        Shape = value.Shape.Select(d => d.IsStatic ? TensorDimension.Fixed(d.Size) : TensorDimension.Named(d.Param!)).ToArray(),
    };
}
