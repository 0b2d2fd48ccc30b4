using System.Text.Json.Nodes;
using LangBridge.Runtime.Tests.Fixtures;

namespace LangBridge.Runtime.Tests;

/// <summary>Bundle format version 2: text-only bundles, named dimensions, meanings, assets, external data, the parity report, version 1 bundles.</summary>
public sealed class BundleFormatV2Tests
{
    private static readonly RuntimeOptions Cpu = new() { Provider = ExecutionProvider.Cpu };

    [Fact]
    public void A_text_only_bundle_without_an_image_section_loads_with_its_asset()
    {
        using var fixture = TextBundle.Create();

        var bundle = ModelBundle.Load(fixture.Directory);

        Assert.Null(bundle.Manifest.Image);
        Assert.Equal(2, bundle.Manifest.FormatVersion);
        Assert.Equal(AssetType.Vocabulary, bundle.GetAsset("text_vocabulary").Type);
        Assert.Equal(File.ReadAllBytes(fixture.PathOf("vocab.txt")), bundle.ReadVerifiedAsset("text_vocabulary"));
        Assert.Contains(bundle.Manifest.Files, f => f.Path == "vocab.txt");
        Assert.Equal([TensorDimension.Batch, TensorDimension.Sequence], bundle.GetGraph(TextBundle.Role).Inputs[1].Shape);
    }

    [Fact]
    public void A_changed_asset_fails_the_integrity_check_naming_it()
    {
        using var fixture = TextBundle.Create();
        File.AppendAllText(fixture.PathOf("vocab.txt"), "extra\n");

        var e = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Load(fixture.Directory));

        Assert.Equal("vocab.txt", e.Path);
    }

    [Fact]
    public void An_asset_swapped_after_loading_is_never_handed_out()
    {
        using var fixture = TextBundle.Create();
        var bundle = ModelBundle.Load(fixture.Directory);
        File.WriteAllText(fixture.PathOf("vocab.txt"), "[PAD]\n[CLS]\n[SEP]\nhello\nworld\nbook\n");

        Assert.Throws<BundleIntegrityException>(() => bundle.ReadVerifiedAsset("text_vocabulary"));
    }

    [Fact]
    public void An_unlisted_asset_is_refused()
    {
        using var fixture = TextBundle.Create();
        fixture.EditManifestJson(m => m["files"] = new JsonArray(m["files"]!.AsArray().Where(f => (string)f!["path"]! != "vocab.txt").Select(f => f!.DeepClone()).ToArray()));

        var e = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Load(fixture.Directory));

        Assert.Equal("vocab.txt", e.Path);
        Assert.Contains("asset \"text_vocabulary\"", e.Message);
    }

    [Fact]
    public void Seal_refuses_an_asset_whose_file_is_not_in_the_folder()
    {
        var e = Assert.Throws<BundleFileMissingException>(() => TextBundle.Create(edit: m => m with
        {
            Assets = new Dictionary<string, AssetSpec> { ["font"] = new() { File = "font.ttf", Type = AssetType.Font } },
        }));

        Assert.Equal("font.ttf", e.Path);
    }

    [Fact]
    public void A_tensor_with_meaning_image_needs_an_image_section()
    {
        var manifest = TextBundle.Manifest();
        var graph = manifest.Graphs[TextBundle.Role];
        var edited = manifest with
        {
            Graphs = new Dictionary<string, GraphSpec> { [TextBundle.Role] = graph with { Outputs = [graph.Outputs[0] with { Meaning = TensorMeaning.Image }] } },
        };

        var e = Assert.Throws<BundleFormatException>(() => TextBundle.Create(edit: _ => edited));

        Assert.Contains("meaning \"image\"", e.Message);
        Assert.Contains("no \"image\" section", e.Message);
    }

    [Theory]
    [InlineData("past_sequence", true)]
    [InlineData("sequence2", true)]
    [InlineData("Sequence", false)]
    [InlineData("2nd", false)]
    [InlineData("past-sequence", false)]
    public void Symbolic_dimensions_are_lower_case_identifiers(string symbol, bool valid)
    {
        using var fixture = TextBundle.Create();
        fixture.EditManifestJson(m => m["graphs"]![TextBundle.Role]!["inputs"]![0]!["shape"]![1] = symbol);

        var error = Record.Exception(() => ManifestJson.Read(fixture.PathOf("manifest.json")));

        if (valid)
        {
            Assert.Null(error);
        }
        else
        {
            Assert.Contains(symbol, Assert.IsType<BundleFormatException>(error).Message);
        }
    }

    [Fact]
    public void A_meaning_outside_the_known_list_is_accepted_when_it_is_an_identifier()
    {
        using var fixture = TextBundle.Create(edit: m => m with
        {
            Graphs = new Dictionary<string, GraphSpec>
            {
                [TextBundle.Role] = m.Graphs[TextBundle.Role] with { Outputs = [m.Graphs[TextBundle.Role].Outputs[0] with { Meaning = "pooled_states" }] },
            },
        });

        Assert.Equal("pooled_states", ModelBundle.Load(fixture.Directory).GetGraph(TextBundle.Role).Outputs[0].Meaning);
        Assert.DoesNotContain("pooled_states", TensorMeaning.Known);
    }

    [Fact]
    public void Graph_inputs_must_agree_with_the_graph_on_symbolic_dimensions()
    {
        // The manifest calls a dynamic graph dimension static: refused when the session is created.
        using var fixture = TextBundle.Create(edit: m => m with
        {
            Graphs = new Dictionary<string, GraphSpec>
            {
                [TextBundle.Role] = m.Graphs[TextBundle.Role] with { Outputs = [m.Graphs[TextBundle.Role].Outputs[0] with { Shape = ["batch", 4, TextBundle.Hidden] }] },
            },
        });

        var e = Assert.Throws<BundleFormatException>(() => BundleGraph.Open(ModelBundle.Load(fixture.Directory), TextBundle.Role, Cpu));

        Assert.Equal(TextBundle.GraphFile, e.File);
        Assert.Contains("[batch, 4, 3]", e.Message);
        Assert.Contains("[batch, sequence, 3]", e.Message);
    }

    [Fact]
    public void Weights_in_an_external_data_file_are_hashed_listed_and_loaded()
    {
        using var fixture = TextBundle.Create(externalData: true);
        var bundle = ModelBundle.Load(fixture.Directory);

        using var graph = BundleGraph.Open(bundle, TextBundle.Role, Cpu);
        long[] ids = [3, 5], mask = [1, 1];
        using var a = GraphTensor.FromMemory("input_ids", ids.AsMemory(), 1, 2);
        using var b = GraphTensor.FromMemory("attention_mask", mask.AsMemory(), 1, 2);
        using var outputs = graph.Run([a, b]);

        Assert.Contains(bundle.Manifest.Files, f => f.Path == TextBundle.DataFile);
        Assert.Equal([TextBundle.DataFile], bundle.GetGraph(TextBundle.Role).ExternalData);
        var weights = System.Runtime.InteropServices.MemoryMarshal.AsBytes(fixture.Embeddings.AsSpan()).ToArray();
        Assert.Equal(-1, File.ReadAllBytes(fixture.PathOf(TextBundle.GraphFile)).AsSpan().IndexOf(weights)); // the weights really are outside
        Assert.Equal(weights, File.ReadAllBytes(fixture.PathOf(TextBundle.DataFile)));
        Assert.Equal(fixture.Reference(ids, mask), outputs[0].ToArray<float>());
    }

    [Fact]
    public void A_changed_external_data_file_fails_the_integrity_check()
    {
        using var fixture = TextBundle.Create(externalData: true);
        var bytes = File.ReadAllBytes(fixture.PathOf(TextBundle.DataFile));
        bytes[5] ^= 0x40;
        File.WriteAllBytes(fixture.PathOf(TextBundle.DataFile), bytes);

        var e = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Load(fixture.Directory));

        Assert.Equal(TextBundle.DataFile, e.Path);
    }

    [Fact]
    public void External_data_swapped_after_loading_is_caught_when_the_session_is_created()
    {
        using var fixture = TextBundle.Create(externalData: true);
        var bundle = ModelBundle.Load(fixture.Directory);
        var bytes = File.ReadAllBytes(fixture.PathOf(TextBundle.DataFile));
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(fixture.PathOf(TextBundle.DataFile), bytes);

        var e = Assert.Throws<BundleIntegrityException>(() => BundleGraph.Open(bundle, TextBundle.Role, Cpu));

        Assert.Equal(TextBundle.DataFile, e.Path);
    }

    [Fact]
    public void A_graph_reading_external_data_the_manifest_does_not_declare_is_refused()
    {
        // The data file is in the folder and listed in files (so hashed), but not declared as the graph's external data.
        using var fixture = TextBundle.Create(externalData: true);
        fixture.EditManifestJson(m => m["graphs"]![TextBundle.Role]!.AsObject().Remove("externalData"));

        var e = Assert.Throws<BundleFormatException>(() => ModelBundle.Load(fixture.Directory));

        Assert.Equal(TextBundle.GraphFile, e.File);
        Assert.Contains(TextBundle.DataFile, e.Message);
    }

    [Fact]
    public void Seal_refuses_external_data_that_is_not_in_the_folder()
    {
        var e = Assert.Throws<BundleFileMissingException>(() => TextBundle.Create(edit: m => m with
        {
            Graphs = new Dictionary<string, GraphSpec> { [TextBundle.Role] = m.Graphs[TextBundle.Role] with { ExternalData = ["weights.bin"] } },
        }));

        Assert.Equal("weights.bin", e.Path);
    }

    [Fact]
    public void The_parity_report_is_not_sealed_so_verify_can_rewrite_it_after_export()
    {
        // What export then verify do: seal with an old report in the folder, rewrite the report, load again.
        using var fixture = TestBundle.Create();
        File.WriteAllText(fixture.PathOf("parity.json"), "{ \"passed\": false }");
        BundleWriter.Seal(fixture.Directory, TestBundle.Manifest());
        File.WriteAllText(fixture.PathOf("parity.json"), "{ \"passed\": true, \"rewritten\": true }");

        var bundle = ModelBundle.Load(fixture.Directory);

        Assert.DoesNotContain(bundle.Manifest.Files, f => f.Path == "parity.json");
        Assert.DoesNotContain(BundleWriter.ComputeFiles(fixture.Directory), f => f.Path == "parity.json");
    }

    [Fact]
    public void A_version_1_bundle_loads_and_tokenizes_like_its_version_2_twin()
    {
        using var v2 = TestBundle.Create();
        using var v1 = TestBundle.Create();
        v1.DowngradeToVersion1();
        var images = Enumerable.Range(0, 2 * TestBundle.E).Select(i => (float)Math.Sin(i * 0.7)).ToArray();

        var bundle = ModelBundle.Load(v1.Directory);
        using var fromV1 = ImageTokenizer.Create(bundle, Cpu);
        using var fromV2 = ImageTokenizer.Open(v2.Directory, Cpu);

        Assert.Equal(1, bundle.Manifest.FormatVersion);
        Assert.DoesNotContain("\"meaning\"", File.ReadAllText(v1.PathOf("manifest.json")));
        Assert.Equal(TensorMeaning.TokenIds, bundle.GetGraph("quantizer").Outputs[0].Meaning); // inferred by dtype
        Assert.Equal(TensorMeaning.Codes, bundle.GetGraph("quantizer").Outputs[1].Meaning);
        var a = fromV1.Encode(images, 2, 1, 4, 4);
        var b = fromV2.Encode(images, 2, 1, 4, 4);
        Assert.Equal(b.Select(t => t.Text), a.Select(t => t.Text));
    }

    [Fact]
    public void A_version_1_bundle_that_lists_its_parity_report_still_verifies_it()
    {
        using var fixture = TestBundle.Create();
        File.WriteAllText(fixture.PathOf("parity.json"), "{ \"passed\": true }");
        var entry = BundleWriter.DescribeFile(fixture.Directory, "parity.json");
        fixture.DowngradeToVersion1();
        fixture.EditManifestJson(m => m["files"]!.AsArray().Add(new JsonObject { ["path"] = entry.Path, ["sha256"] = entry.Sha256, ["bytes"] = entry.Bytes }));
        Assert.NotNull(ModelBundle.Load(fixture.Directory)); // listed and matching: loads

        File.WriteAllText(fixture.PathOf("parity.json"), "{ \"passed\": fals }");

        var e = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("parity.json", e.Path);
    }

    [Fact]
    public void A_version_1_bundle_keeps_the_version_1_rule_of_batch_as_the_only_symbol()
    {
        using var fixture = TestBundle.Create();
        fixture.DowngradeToVersion1();
        fixture.EditManifestJson(m => m["graphs"]!["decoder"]!["inputs"]![0]!["shape"]![1] = "sequence");

        var e = Assert.Throws<BundleFormatException>(() => ModelBundle.Load(fixture.Directory));

        Assert.Contains("version 1", e.Message);
    }

    [Fact]
    public void An_lqae_bundle_without_meanings_is_refused_by_the_tokenizer_and_by_seal()
    {
        static BundleManifest StripMeanings(BundleManifest m) => m with
        {
            Graphs = m.Graphs.ToDictionary(g => g.Key, g => g.Value with
            {
                Inputs = g.Value.Inputs.Select(t => t with { Meaning = null }).ToArray(),
                Outputs = g.Value.Outputs.Select(t => t with { Meaning = null }).ToArray(),
            }),
        };

        var sealError = Assert.Throws<BundleFormatException>(() => TestBundle.Create(StripMeanings));
        Assert.Contains("meaning \"image\"", sealError.Message);

        using var fixture = TestBundle.Create();
        fixture.EditManifestJson(m => m["graphs"]!["quantizer"]!["outputs"]![1]!.AsObject().Remove("meaning"));
        var e = Assert.Throws<BundleFormatException>(() => ImageTokenizer.Open(fixture.Directory, Cpu));
        Assert.Contains("\"codes\"", e.Message);
    }

    [Fact]
    public void The_tokenizer_finds_quantizer_outputs_by_meaning_not_by_position()
    {
        using var reference = TestBundle.Create();
        using var swapped = TestBundle.Create(m => m with
        {
            Graphs = new Dictionary<string, GraphSpec>(m.Graphs)
            {
                ["quantizer"] = m.Graphs["quantizer"] with { Outputs = [m.Graphs["quantizer"].Outputs[1], m.Graphs["quantizer"].Outputs[0]] },
            },
        });
        var images = Enumerable.Range(0, TestBundle.E).Select(i => (float)Math.Cos(i)).ToArray();

        using var a = ImageTokenizer.Open(reference.Directory, Cpu);
        using var b = ImageTokenizer.Open(swapped.Directory, Cpu);

        Assert.Equal(a.Encode(images, 1, 1, 4, 4)[0], b.Encode(images, 1, 1, 4, 4)[0]);
    }
}
