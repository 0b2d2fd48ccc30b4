using System.Text.Json.Nodes;

namespace LangBridge.Runtime.Tests.Fixtures;

/// <summary>
/// A tiny LQAE bundle written to a temporary folder: 1×4×4 images, 4 tokens of dimension 3, a
/// 5-word vocabulary. Encoder = Flatten + MatMul + Reshape; quantizer = MatMul against the
/// codebook + ArgMax + Gather; decoder = Gather + MatMul + Reshape. The reference methods compute
/// the same maths by hand (in double) so tests can check the runtime's numbers.
/// </summary>
internal sealed class TestBundle : IDisposable
{
    public const int C = 1, H = 4, W = 4, N = 4, D = 3, V = 5, E = C * H * W;

    public static readonly string[] Words = ["cat", "dog", "boot", "sky", "tree"];

    private TestBundle(string directory)
    {
        Directory = directory;
        var random = new Random(1234);
        EncoderWeights = Fill(random, E * N * D);
        Codebook = Fill(random, V * D);
        DecoderWeights = Fill(random, N * D * E);
    }

    public string Directory { get; }

    public float[] EncoderWeights { get; }

    public float[] Codebook { get; }

    public float[] DecoderWeights { get; }

    public string PathOf(string file) => Path.Combine(Directory, file);

    /// <summary>Writes and seals the bundle; <paramref name="edit"/> may change the manifest before sealing.</summary>
    public static TestBundle Create(Func<BundleManifest, BundleManifest>? edit = null, long opset = 17, long irVersion = 8)
    {
        var dir = Path.Combine(Path.GetTempPath(), "langbridge-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        var bundle = new TestBundle(dir);
        File.WriteAllBytes(bundle.PathOf("encoder.onnx"), bundle.Encoder().ToBytes(opset, irVersion));
        File.WriteAllBytes(bundle.PathOf("quantizer.onnx"), bundle.Quantizer().ToBytes(opset, irVersion));
        File.WriteAllBytes(bundle.PathOf("decoder.onnx"), bundle.Decoder().ToBytes(opset, irVersion));
        File.WriteAllText(bundle.PathOf("vocab.txt"), string.Join('\n', Words) + "\n");
        var manifest = Manifest((int)opset, (int)irVersion);
        BundleWriter.Seal(dir, edit is null ? manifest : edit(manifest));
        return bundle;
    }

    public static BundleManifest Manifest(int opset = 17, int irVersion = 8) => new()
    {
        Name = "tiny-lqae",
        Kind = "lqae",
        Producer = "langbridge-tests",
        Opset = opset,
        IrVersion = irVersion,
        Image = new ImageSpec { Channels = C, Height = H, Width = W, Mean = [0.5f], Std = [0.5f] },
        Tokens = new TokenSpec { PerImage = N, Grid = [2, 2], Levels = [N], Vocabulary = "vocab.txt", VocabularySize = V, EmbeddingDim = D },
        Graphs = new Dictionary<string, GraphSpec>
        {
            ["encoder"] = new()
            {
                File = "encoder.onnx",
                Inputs = [new TensorSpec { Name = "image", Dtype = "float32", Meaning = TensorMeaning.Image, Shape = ["batch", C, H, W] }],
                Outputs = [new TensorSpec { Name = "latents", Dtype = "float32", Meaning = TensorMeaning.Latents, Shape = ["batch", N, D] }],
            },
            ["quantizer"] = new()
            {
                File = "quantizer.onnx",
                Inputs = [new TensorSpec { Name = "latents", Dtype = "float32", Meaning = TensorMeaning.Latents, Shape = ["batch", N, D] }],
                Outputs =
                [
                    new TensorSpec { Name = "token_ids", Dtype = "int64", Meaning = TensorMeaning.TokenIds, Shape = ["batch", N] },
                    new TensorSpec { Name = "codes", Dtype = "float32", Meaning = TensorMeaning.Codes, Shape = ["batch", N, D] },
                ],
            },
            ["decoder"] = new()
            {
                File = "decoder.onnx",
                Inputs = [new TensorSpec { Name = "token_ids", Dtype = "int64", Meaning = TensorMeaning.TokenIds, Shape = ["batch", N] }],
                Outputs = [new TensorSpec { Name = "image", Dtype = "float32", Meaning = TensorMeaning.Image, Shape = ["batch", C, H, W] }],
            },
        },
    };

    /// <summary>
    /// Rewrites the sealed manifest as bundle format version 1 would have had it: formatVersion 1,
    /// no meanings (v1 told tensors apart by role, position and dtype); hashes unchanged.
    /// </summary>
    public void DowngradeToVersion1()
    {
        EditManifestJson(m =>
        {
            m["formatVersion"] = 1;
            foreach (var (_, graph) in m["graphs"]!.AsObject())
            {
                foreach (var tensor in graph!["inputs"]!.AsArray().Concat(graph["outputs"]!.AsArray()))
                {
                    tensor!.AsObject().Remove("meaning");
                }
            }
        });
    }

    /// <summary>Edits manifest.json as JSON (after sealing), e.g. to plant a bad path.</summary>
    public void EditManifestJson(Action<JsonObject> edit)
    {
        var path = PathOf(ManifestJson.FileName);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    public double[] ReferenceLatents(ReadOnlySpan<float> image)
    {
        var latents = new double[N * D];
        for (var j = 0; j < N * D; j++)
        {
            for (var e = 0; e < E; e++)
            {
                latents[j] += (double)image[e] * EncoderWeights[(e * N * D) + j];
            }
        }

        return latents;
    }

    /// <summary>Nearest code by dot product, plus the gap to the runner-up (to rule out near-ties).</summary>
    public (long[] Ids, double MinGap) ReferenceIds(double[] latents)
    {
        var ids = new long[N];
        var minGap = double.MaxValue;
        for (var n = 0; n < N; n++)
        {
            var scores = new double[V];
            for (var v = 0; v < V; v++)
            {
                for (var d = 0; d < D; d++)
                {
                    scores[v] += latents[(n * D) + d] * Codebook[(v * D) + d];
                }
            }

            var best = Array.IndexOf(scores, scores.Max());
            ids[n] = best;
            var second = scores.Where((_, v) => v != best).Max();
            minGap = Math.Min(minGap, scores[best] - second);
        }

        return (ids, minGap);
    }

    public float[] ReferenceCodes(long[] ids) =>
        ids.SelectMany(id => Codebook.Skip((int)id * D).Take(D)).ToArray();

    public double[] ReferenceDecode(long[] ids)
    {
        var flat = ReferenceCodes(ids);
        var image = new double[E];
        for (var e = 0; e < E; e++)
        {
            for (var k = 0; k < N * D; k++)
            {
                image[e] += (double)flat[k] * DecoderWeights[(k * E) + e];
            }
        }

        return image;
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

    private OnnxModelWriter Encoder()
    {
        var m = new OnnxModelWriter();
        m.Input("image", false, "batch", C, H, W);
        m.Initializer("w_enc", EncoderWeights, E, N * D);
        m.Initializer("shape_latents", new long[] { -1, N, D }, 3);
        m.Node("Flatten", ["image"], ["flat"], ("axis", 1));
        m.Node("MatMul", ["flat", "w_enc"], ["proj"]);
        m.Node("Reshape", ["proj", "shape_latents"], ["latents"]);
        m.Output("latents", false, "batch", N, D);
        return m;
    }

    private OnnxModelWriter Quantizer()
    {
        var m = new OnnxModelWriter();
        m.Input("latents", false, "batch", N, D);
        m.Initializer("codebook", Codebook, V, D);
        m.Initializer("codebook_t", Transpose(Codebook, V, D), D, V);
        m.Node("MatMul", ["latents", "codebook_t"], ["scores"]);
        m.Node("ArgMax", ["scores"], ["token_ids"], ("axis", 2), ("keepdims", 0));
        m.Node("Gather", ["codebook", "token_ids"], ["codes"], ("axis", 0));
        m.Output("token_ids", true, "batch", N);
        m.Output("codes", false, "batch", N, D);
        return m;
    }

    private OnnxModelWriter Decoder()
    {
        var m = new OnnxModelWriter();
        m.Input("token_ids", true, "batch", N);
        m.Initializer("codebook", Codebook, V, D);
        m.Initializer("w_dec", DecoderWeights, N * D, E);
        m.Initializer("shape_flat", new long[] { -1, N * D }, 2);
        m.Initializer("shape_image", new long[] { -1, C, H, W }, 4);
        m.Node("Gather", ["codebook", "token_ids"], ["codes"], ("axis", 0));
        m.Node("Reshape", ["codes", "shape_flat"], ["flat"]);
        m.Node("MatMul", ["flat", "w_dec"], ["proj"]);
        m.Node("Reshape", ["proj", "shape_image"], ["image"]);
        m.Output("image", false, "batch", C, H, W);
        return m;
    }

    private static float[] Fill(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();

    private static float[] Transpose(float[] m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                t[(c * rows) + r] = m[(r * cols) + c];
            }
        }

        return t;
    }
}
