using System.Globalization;

namespace LangBridge.Runtime;

/// <summary>Schema checks shared by the reader (refuse bad bundles) and the writer (never write one).</summary>
internal static class ManifestValidator
{
    private static readonly HashSet<string> KnownDtypes = new(StringComparer.Ordinal)
    {
        "float32", "float16", "int64", "int32", "uint8", "bool",
    };

    public static void Validate(BundleManifest m)
    {
        const string file = ManifestJson.FileName;
        Require(m.Format == BundleManifest.FormatName, $"\"format\" must be \"{BundleManifest.FormatName}\"");
        Require(m.FormatVersion == RuntimeSupport.FormatVersion, $"\"formatVersion\" must be {RuntimeSupport.FormatVersion}");
        Require(!string.IsNullOrWhiteSpace(m.Name), "\"name\" is empty");
        Require(!string.IsNullOrWhiteSpace(m.Kind), "\"kind\" is empty");
        Require(m.Opset > 0, $"\"opset\" must be positive, not {m.Opset}");
        Require(m.IrVersion > 0, $"\"irVersion\" must be positive, not {m.IrVersion}");

        var image = m.Image ?? throw Fail("\"image\" is missing");
        Require(image.Layout == "NCHW", $"image layout \"{image.Layout}\" is not supported (version 1 bundles use \"NCHW\")");
        Require(image.Channels is >= 1 and <= 4, $"image channels must be 1 to 4, not {image.Channels}");
        Require(image.Height > 0 && image.Width > 0, $"image size {image.Height}×{image.Width} is not positive");
        Require(image.Mean is not null && image.Mean.Count == image.Channels,
            $"image mean has {image.Mean?.Count ?? 0} values for {image.Channels} channel(s)");
        Require(image.Std is not null && image.Std.Count == image.Channels,
            $"image std has {image.Std?.Count ?? 0} values for {image.Channels} channel(s)");
        Require(image.Mean!.All(float.IsFinite), "image mean holds a non-finite value");
        Require(image.Std!.All(s => float.IsFinite(s) && s > 0), "image std must be finite and positive");

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
        foreach (var (role, graph) in m.Graphs!)
        {
            Require(graph is not null, $"graph \"{role}\" is null");
            Require(!string.IsNullOrEmpty(graph!.File), $"graph \"{role}\" has no file");
            BundlePaths.ThrowIfInvalid(graph.File);
            Require(graph.Inputs is { Count: > 0 }, $"graph \"{role}\" lists no inputs");
            Require(graph.Outputs is { Count: > 0 }, $"graph \"{role}\" lists no outputs");
            foreach (var tensor in graph.Inputs!.Concat(graph.Outputs!))
            {
                Require(tensor is not null && !string.IsNullOrEmpty(tensor.Name), $"graph \"{role}\" has a tensor without a name");
                Require(tensor!.Dtype is not null && KnownDtypes.Contains(tensor.Dtype),
                    $"tensor \"{tensor.Name}\" of graph \"{role}\" has unknown dtype \"{tensor.Dtype}\"");
                Require(tensor.Shape is { Count: > 0 }, $"tensor \"{tensor.Name}\" of graph \"{role}\" has no shape");
                foreach (var dim in tensor.Shape!)
                {
                    Require(dim.IsSymbolic ? dim.Symbol == TensorDimension.BatchSymbol : dim.Size > 0,
                        $"tensor \"{tensor.Name}\" of graph \"{role}\" has dimension \"{dim}\"; only \"batch\" may be symbolic and sizes must be positive");
                }
            }
        }

        Require(m.Files is not null, "\"files\" is missing");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in m.Files!)
        {
            Require(entry is not null && !string.IsNullOrEmpty(entry.Path), "a \"files\" entry has no path");
            BundlePaths.ThrowIfInvalid(entry!.Path);
            Require(entry.Path != ManifestJson.FileName, "\"files\" must not list manifest.json itself");
            Require(seen.Add(entry.Path), $"\"files\" lists '{entry.Path}' twice");
            Require(IsSha256Hex(entry.Sha256), $"'{entry.Path}' has sha256 \"{entry.Sha256}\"; it must be 64 lower-case hex digits");
            Require(entry.Bytes >= 0, $"'{entry.Path}' has a negative size {entry.Bytes.ToString(CultureInfo.InvariantCulture)}");
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

    private static bool IsSha256Hex(string? s) =>
        s is { Length: 64 } && s.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
