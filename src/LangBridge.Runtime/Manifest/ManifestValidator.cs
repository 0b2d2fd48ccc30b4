using System.Globalization;

namespace LangBridge.Runtime;

/// <summary>Schema checks shared by the reader (refuse bad bundles) and the writer (never write one).</summary>
internal static class ManifestValidator
{
    public static void Validate(BundleManifest m)
    {
        const string file = ManifestJson.FileName;
        var v1 = m.FormatVersion == 1;
        Require(m.Format == BundleManifest.FormatName, $"\"format\" must be \"{BundleManifest.FormatName}\"");
        Require(RuntimeSupport.ReadableFormatVersions.Contains(m.FormatVersion),
            $"\"formatVersion\" must be one of [{string.Join(", ", RuntimeSupport.ReadableFormatVersions)}]");
        Require(!string.IsNullOrWhiteSpace(m.Name), "\"name\" is empty");
        Require(!string.IsNullOrWhiteSpace(m.Kind), "\"kind\" is empty");
        Require(m.Opset > 0, $"\"opset\" must be positive, not {m.Opset}");
        Require(m.IrVersion > 0, $"\"irVersion\" must be positive, not {m.IrVersion}");

        if (v1)
        {
            Require(m.Image is not null, "\"image\" is missing (version 1 bundles always have one)");
        }

        if (m.Image is { } image)
        {
            Require(image.Layout == "NCHW", $"image layout \"{image.Layout}\" is not supported (bundles use \"NCHW\")");
            Require(image.Channels is >= 1 and <= 4, $"image channels must be 1 to 4, not {image.Channels}");
            Require(image.Height > 0 && image.Width > 0, $"image size {image.Height}×{image.Width} is not positive");
            Require(image.Mean is not null && image.Mean.Count == image.Channels,
                $"image mean has {image.Mean?.Count ?? 0} values for {image.Channels} channel(s)");
            Require(image.Std is not null && image.Std.Count == image.Channels,
                $"image std has {image.Std?.Count ?? 0} values for {image.Channels} channel(s)");
            Require(image.Mean!.All(float.IsFinite), "image mean holds a non-finite value");
            Require(image.Std!.All(s => float.IsFinite(s) && s > 0), "image std must be finite and positive");
        }

        if (m.Tokens is { } tokens)
        {
            Require(tokens.PerImage > 0, $"tokens.perImage must be positive, not {tokens.PerImage}");
            Require(tokens.VocabularySize > 0, $"tokens.vocabularySize must be positive, not {tokens.VocabularySize}");
            Require(tokens.EmbeddingDim > 0, $"tokens.embeddingDim must be positive, not {tokens.EmbeddingDim}");
            Require(!string.IsNullOrEmpty(tokens.Vocabulary), "tokens.vocabulary is empty");
            BundlePaths.ThrowIfInvalid(tokens.Vocabulary);
            if (tokens.Levels is { Count: > 0 } levels)
            {
                Require(levels.All(l => l > 0) && levels.Sum() == tokens.PerImage,
                    $"tokens.levels [{string.Join(", ", levels)}] must be positive and sum to tokens.perImage {tokens.PerImage}");
            }

            if (tokens.Grid is { Count: > 0 } grid)
            {
                Require(grid.All(g => g > 0), $"tokens.grid [{string.Join(", ", grid)}] must be positive");
            }
        }

        Require(m.Graphs is { Count: > 0 }, "\"graphs\" is empty");
        var imageTensor = (string?)null;
        foreach (var (role, graph) in m.Graphs!)
        {
            Require(graph is not null, $"graph \"{role}\" is null");
            Require(!string.IsNullOrEmpty(graph!.File), $"graph \"{role}\" has no file");
            BundlePaths.ThrowIfInvalid(graph.File);
            Require(graph.Inputs is { Count: > 0 }, $"graph \"{role}\" lists no inputs");
            Require(graph.Outputs is { Count: > 0 }, $"graph \"{role}\" lists no outputs");
            CheckTensors(role, "input", graph.Inputs!);
            CheckTensors(role, "output", graph.Outputs!);
            imageTensor ??= graph.Inputs!.Concat(graph.Outputs!).Where(t => t.Meaning == TensorMeaning.Image)
                .Select(t => $"tensor \"{t.Name}\" of graph \"{role}\"").FirstOrDefault();

            if (graph.ExternalData is { } external)
            {
                Require(!v1 || external.Count == 0, $"graph \"{role}\" lists externalData, which version 1 bundles do not have");
                var graphFolder = FolderOf(graph.File);
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var data in external)
                {
                    Require(!string.IsNullOrEmpty(data), $"graph \"{role}\" has an empty externalData entry");
                    BundlePaths.ThrowIfInvalid(data);
                    Require(data != graph.File, $"graph \"{role}\" lists its own file '{data}' as external data");
                    Require(seen.Add(data), $"graph \"{role}\" lists external data '{data}' twice");
                    // ONNX resolves external data relative to the graph file's folder, and the runtime
                    // points ONNX Runtime at that one folder.
                    Require(FolderOf(data) == graphFolder,
                        $"external data '{data}' of graph \"{role}\" must lie in the folder of its graph file '{graph.File}'");
                }
            }
        }

        // A bundle that feeds or returns images must say how pixels map to model space.
        Require(m.Image is not null || imageTensor is null,
            $"{imageTensor} has meaning \"{TensorMeaning.Image}\" but the manifest has no \"image\" section");

        if (m.Assets is { } assets)
        {
            Require(!v1 || assets.Count == 0, "\"assets\" is not part of version 1 bundles");
            foreach (var (role, asset) in assets)
            {
                Require(!string.IsNullOrWhiteSpace(role), "an asset has an empty role");
                Require(asset is not null, $"asset \"{role}\" is null");
                Require(!string.IsNullOrEmpty(asset!.File), $"asset \"{role}\" has no file");
                BundlePaths.ThrowIfInvalid(asset.File);
                Require(TensorMeaning.IsValid(asset.Type),
                    $"asset \"{role}\" has type \"{asset.Type}\"; a type is a lower-case identifier such as \"{AssetType.Vocabulary}\"");
            }
        }

        Require(m.Files is not null, "\"files\" is missing");
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in m.Files!)
        {
            Require(entry is not null && !string.IsNullOrEmpty(entry.Path), "a \"files\" entry has no path");
            BundlePaths.ThrowIfInvalid(entry!.Path);
            Require(entry.Path != ManifestJson.FileName, "\"files\" must not list manifest.json itself");
            Require(v1 || entry.Path != BundleManifest.ParityReportFile,
                $"\"files\" must not list {BundleManifest.ParityReportFile}: from version 2 the parity report is not part of the seal (`langbridge verify` rewrites it)");
            Require(listed.Add(entry.Path), $"\"files\" lists '{entry.Path}' twice");
            Require(IsSha256Hex(entry.Sha256), $"'{entry.Path}' has sha256 \"{entry.Sha256}\"; it must be 64 lower-case hex digits");
            Require(entry.Bytes >= 0, $"'{entry.Path}' has a negative size {entry.Bytes.ToString(CultureInfo.InvariantCulture)}");
        }

        void CheckTensors(string role, string direction, IReadOnlyList<TensorSpec> tensors)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var tensor in tensors)
            {
                Require(tensor is not null && !string.IsNullOrEmpty(tensor.Name), $"graph \"{role}\" has a tensor without a name");
                Require(names.Add(tensor!.Name), $"graph \"{role}\" lists {direction} \"{tensor.Name}\" twice");
                Require(tensor.Dtype is not null && TensorDtype.All.Contains(tensor.Dtype),
                    $"tensor \"{tensor.Name}\" of graph \"{role}\" has unknown dtype \"{tensor.Dtype}\" (one of {string.Join(", ", TensorDtype.All)})");
                Require(tensor.Meaning is null || TensorMeaning.IsValid(tensor.Meaning),
                    $"tensor \"{tensor.Name}\" of graph \"{role}\" has meaning \"{tensor.Meaning}\"; a meaning is a lower-case identifier such as \"{TensorMeaning.HiddenStates}\"");
                Require(tensor.Shape is { Count: > 0 }, $"tensor \"{tensor.Name}\" of graph \"{role}\" has no shape");
                foreach (var dim in tensor.Shape!)
                {
                    if (v1)
                    {
                        Require(dim.IsSymbolic ? dim.Symbol == TensorDimension.BatchSymbol : dim.Size > 0,
                            $"tensor \"{tensor.Name}\" of graph \"{role}\" has dimension \"{dim}\"; in version 1 bundles only \"batch\" may be symbolic and sizes must be positive");
                    }
                    else
                    {
                        Require(dim.IsSymbolic ? TensorDimension.IsValidSymbol(dim.Symbol) : dim.Size > 0,
                            $"tensor \"{tensor.Name}\" of graph \"{role}\" has dimension \"{dim}\"; a symbolic dimension is a lower-case identifier (batch, sequence, past_sequence, …) and sizes must be positive");
                    }
                }
            }
        }

        void Require(bool condition, string problem)
        {
            if (!condition)
            {
                throw Fail(problem);
            }
        }

        static BundleFormatException Fail(string problem) =>
            new(file, $"{file} is invalid: {problem}. Re-export the bundle with the LangBridge exporter.");
    }

    /// <summary>The folder part of a bundle path ("" at the top).</summary>
    internal static string FolderOf(string path) => path.LastIndexOf('/') is var i and >= 0 ? path[..i] : string.Empty;

    private static bool IsSha256Hex(string? s) =>
        s is { Length: 64 } && s.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
