namespace LangBridge.Runtime.Tests.Fixtures;

/// <summary>
/// A text-only bundle (no image section) with one two-input graph, shaped like a frozen BERT's:
/// <c>input_ids</c> and <c>attention_mask</c> (int64 <c>[batch, sequence]</c>) →
/// <c>hidden_states</c> (float32 <c>[batch, sequence, 3]</c>) = embedding of each id × its mask.
/// Optionally the embedding table lives in an ONNX external-data file.
/// </summary>
internal sealed class TextBundle : IDisposable
{
    public const int V = 6, Hidden = 3;
    public const string Role = "text_encoder", GraphFile = "text_encoder.onnx", DataFile = "text_encoder.onnx.data";

    private TextBundle(string directory)
    {
        Directory = directory;
        Embeddings = Enumerable.Range(0, V * Hidden).Select(i => (float)((i * 0.37) - 2.5)).ToArray();
    }

    public string Directory { get; }

    public float[] Embeddings { get; }

    public string PathOf(string file) => Path.Combine(Directory, file);

    public static TextBundle Create(bool externalData = false, Func<BundleManifest, BundleManifest>? edit = null,
        Action<TextBundle>? beforeSeal = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "langbridge-tests-text-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        var bundle = new TextBundle(dir);
        var m = new OnnxModelWriter();
        m.Input("input_ids", true, "batch", "sequence");
        m.Input("attention_mask", true, "batch", "sequence");
        if (externalData)
        {
            File.WriteAllBytes(bundle.PathOf(DataFile), m.ExternalInitializer("embeddings", bundle.Embeddings, DataFile, 0, V, Hidden));
        }
        else
        {
            m.Initializer("embeddings", bundle.Embeddings, V, Hidden);
        }

        m.Initializer("last_axis", new long[] { -1 }, 1);
        m.Node("Gather", ["embeddings", "input_ids"], ["embedded"], ("axis", 0));     // [batch, sequence, 3]
        m.Node("Cast", ["attention_mask"], ["mask_f"], ("to", OnnxModelWriter.Float)); // [batch, sequence]
        m.Node("Unsqueeze", ["mask_f", "last_axis"], ["mask_3"]);                      // [batch, sequence, 1]
        m.Node("Mul", ["embedded", "mask_3"], ["hidden_states"]);
        m.Output("hidden_states", false, "batch", "sequence", Hidden);
        File.WriteAllBytes(bundle.PathOf(GraphFile), m.ToBytes());
        File.WriteAllText(bundle.PathOf("vocab.txt"), "[PAD]\n[CLS]\n[SEP]\nhello\nworld\nboot\n");
        beforeSeal?.Invoke(bundle);
        var manifest = Manifest(externalData);
        BundleWriter.Seal(dir, edit is null ? manifest : edit(manifest));
        return bundle;
    }

    public static BundleManifest Manifest(bool externalData = false) => new()
    {
        Name = "tiny-text-encoder",
        // Not "text-encoder": these tests edit the format's generic parts (assets, meanings, shapes) freely,
        // and a kind the runtime serves is also held to its wrapper's rules when sealed.
        Kind = "test-text-encoder",
        Producer = "langbridge-tests",
        Opset = 17,
        IrVersion = 8,
        Assets = new Dictionary<string, AssetSpec> { ["text_vocabulary"] = new() { File = "vocab.txt", Type = AssetType.Vocabulary } },
        Graphs = new Dictionary<string, GraphSpec>
        {
            [Role] = new()
            {
                File = GraphFile,
                ExternalData = externalData ? [DataFile] : null,
                Inputs =
                [
                    new TensorSpec { Name = "input_ids", Dtype = TensorDtype.Int64, Meaning = TensorMeaning.InputIds, Shape = [TensorDimension.Batch, TensorDimension.Sequence] },
                    new TensorSpec { Name = "attention_mask", Dtype = TensorDtype.Int64, Meaning = TensorMeaning.AttentionMask, Shape = ["batch", "sequence"] },
                ],
                Outputs =
                [
                    new TensorSpec { Name = "hidden_states", Dtype = TensorDtype.Float32, Meaning = TensorMeaning.HiddenStates, Shape = ["batch", "sequence", Hidden] },
                ],
            },
        },
    };

    /// <summary>Edits manifest.json as JSON (after sealing).</summary>
    public void EditManifestJson(Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        var path = PathOf(ManifestJson.FileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    /// <summary>hidden[b, s, :] = embeddings[ids[b, s], :] × mask[b, s].</summary>
    public float[] Reference(long[] ids, long[] mask)
    {
        var result = new float[ids.Length * Hidden];
        for (var i = 0; i < ids.Length; i++)
        {
            for (var h = 0; h < Hidden; h++)
            {
                result[(i * Hidden) + h] = Embeddings[(ids[i] * Hidden) + h] * mask[i];
            }
        }

        return result;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail a test.
        }
    }
}
