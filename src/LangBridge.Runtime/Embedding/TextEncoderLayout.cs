namespace LangBridge.Runtime;

/// <summary>
/// The tensors and assets of a <c>text-encoder</c> bundle, found by meaning and role, checked to have the
/// shapes <see cref="TextEmbedder"/> builds buffers for. Run before any session exists and by
/// <see cref="BundleWriter.Seal"/> (so no bundle the embedder would refuse is written).
/// </summary>
internal sealed class TextEncoderLayout(TensorSpec inputIds, TensorSpec attentionMask, TensorSpec? tokenTypeIds, TensorSpec hiddenStates, int dimension)
{
    public TensorSpec InputIds { get; } = inputIds;
    public TensorSpec AttentionMask { get; } = attentionMask;
    public TensorSpec? TokenTypeIds { get; } = tokenTypeIds;
    public TensorSpec HiddenStates { get; } = hiddenStates;
    public int Dimension { get; } = dimension;

    public const string GraphRole = "text_encoder";
    public const string VocabularyAsset = "text_vocabulary", SettingsAsset = "text_encoder";

    public static TextEncoderLayout Resolve(BundleManifest m)
    {
        var graph = m.Graphs.TryGetValue(GraphRole, out var g) ? g : throw Invalid($"it has no \"{GraphRole}\" graph (it has [{string.Join(", ", m.Graphs.Keys)}])");
        TensorDimension[] tokens = [TensorDimension.Batch, TensorDimension.Sequence];
        var ids = Input(TensorMeaning.InputIds, required: true)!;
        var mask = Input(TensorMeaning.AttentionMask, required: true)!;
        var types = Input(TensorMeaning.TokenTypeIds, required: false);
        Expect(graph.Inputs.Count == (types is null ? 2 : 3),
            $"the text encoder must take \"{TensorMeaning.InputIds}\", \"{TensorMeaning.AttentionMask}\" and optionally \"{TensorMeaning.TokenTypeIds}\", nothing else " +
            $"(found [{string.Join(", ", graph.Inputs.Select(t => $"{t.Name}: {t.Meaning ?? "no meaning"}"))}])");
        var hidden = graph.FindOutput(TensorMeaning.HiddenStates);
        Expect(hidden is not null && graph.Outputs.Count == 1 && hidden.Dtype == TensorDtype.Float32 && hidden.Shape.Count == 3 &&
               hidden.Shape[0] == tokens[0] && hidden.Shape[1] == tokens[1] && !hidden.Shape[2].IsSymbolic,
            $"the text encoder must return one float32 [batch, sequence, D] \"{TensorMeaning.HiddenStates}\" output with D fixed");
        Asset(VocabularyAsset, AssetType.Vocabulary);
        Asset(SettingsAsset, AssetType.TextEncoderSettings);
        return new TextEncoderLayout(ids, mask, types, hidden!, (int)hidden!.Shape[2].Size!.Value);

        TensorSpec? Input(string meaning, bool required)
        {
            var t = graph.FindInput(meaning);
            Expect(t is not null || !required, $"the text encoder has no input with meaning \"{meaning}\"");
            Expect(t is null || (t.Dtype == TensorDtype.Int64 && t.Shape.SequenceEqual(tokens)),
                $"the text encoder's \"{meaning}\" input must be int64 [batch, sequence], not {t?.Dtype} {t?.DescribeShape()}");
            return t;
        }

        void Asset(string role, string type) =>
            Expect(m.Assets is not null && m.Assets.TryGetValue(role, out var a) && a.Type == type, $"it has no asset \"{role}\" of type \"{type}\"");

        void Expect(bool condition, string problem)
        {
            if (!condition) throw Invalid(problem);
        }

        BundleFormatException Invalid(string problem) =>
            new(ManifestJson.FileName, $"Bundle '{m.Name}' does not fit TextEmbedder (kind \"{BundleKinds.TextEncoder}\"): {problem}. Re-export the bundle.");
    }
}
