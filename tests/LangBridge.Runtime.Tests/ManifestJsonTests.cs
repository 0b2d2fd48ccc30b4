using System.Text.Json.Nodes;
using LangBridge.Runtime.Tests.Fixtures;

namespace LangBridge.Runtime.Tests;

public sealed class ManifestJsonTests
{
    [Fact]
    public void Serialisation_uses_the_documented_camel_case_names_and_symbolic_batch()
    {
        using var fixture = TestBundle.Create();
        var json = JsonNode.Parse(File.ReadAllText(fixture.PathOf("manifest.json")))!;

        Assert.Equal("langbridge-bundle", (string)json["format"]!);
        Assert.Equal(2, (int)json["formatVersion"]!);
        Assert.Equal("image", (string)json["graphs"]!["encoder"]!["inputs"]![0]!["meaning"]!);
        Assert.Equal("token_ids", (string)json["graphs"]!["quantizer"]!["outputs"]![0]!["meaning"]!);
        Assert.Null(json["assets"]);                  // no assets: the property is omitted
        Assert.Null(json["graphs"]!["encoder"]!["externalData"]);
        Assert.Equal(17, (int)json["opset"]!);
        Assert.Equal(8, (int)json["irVersion"]!);
        Assert.Equal(4, (int)json["tokens"]!["perImage"]!);
        Assert.Equal(5, (int)json["tokens"]!["vocabularySize"]!);
        Assert.Equal(3, (int)json["tokens"]!["embeddingDim"]!);
        Assert.Equal("NCHW", (string)json["image"]!["layout"]!);
        var shape = json["graphs"]!["encoder"]!["inputs"]![0]!["shape"]!.AsArray();
        Assert.Equal("batch", (string)shape[0]!);
        Assert.Equal(4, (int)shape[2]!);
        Assert.Null(json["image"]!["elementCount"]);
        Assert.Null(json["recipeSha256"]); // null properties are omitted
    }

    [Fact]
    public void Parse_of_serialise_gives_the_same_document()
    {
        using var fixture = TestBundle.Create();
        var text = File.ReadAllText(fixture.PathOf("manifest.json"));

        var parsed = ManifestJson.Parse(text);

        Assert.Equal(text, ManifestJson.Serialize(parsed));
        Assert.Equal(TensorDimension.Batch, parsed.Graphs["decoder"].Outputs[0].Shape[0]);
        Assert.Equal(TensorDimension.Fixed(4), parsed.Graphs["decoder"].Outputs[0].Shape[3]);
    }

    [Fact]
    public void The_examples_of_the_format_document_parse()
    {
        // docs/bundle-format.md's JSON blocks, elided hashes ("…") filled in: the document must not drift from the reader.
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "LangBridge.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("LangBridge.slnx not found above the test assembly.");
        }

        var doc = File.ReadAllText(Path.Combine(root, "docs", "bundle-format.md"));
        var blocks = System.Text.RegularExpressions.Regex.Matches(doc, "```json\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value.Replace("\"…\"", $"\"{new string('0', 64)}\"")).ToList();

        Assert.Equal(3, blocks.Count);
        var lqae = ManifestJson.Parse(blocks[0]);
        var text = ManifestJson.Parse(blocks[1]);
        var settings = TextEncoderSettings.Parse(System.Text.Encoding.UTF8.GetBytes(blocks[2]), "bundle-format.md");

        Assert.Equal(2, lqae.FormatVersion);
        Assert.Equal(TensorMeaning.Codes, lqae.Graphs["quantizer"].FindOutput(TensorMeaning.Codes)!.Name);
        Assert.Null(text.Image);
        Assert.Equal(["text_encoder.onnx.data"], text.Graphs["text_encoder"].ExternalData);
        Assert.Equal(AssetType.Vocabulary, text.Assets!["text_vocabulary"].Type);
        Assert.Equal([TensorDimension.Batch, TensorDimension.Sequence, 384], text.Graphs["text_encoder"].Outputs[0].Shape);
        Assert.Equal(new TextEncoderSettings().ToJson(), settings.ToJson());                    // the documented settings are the defaults
    }

    [Fact]
    public void The_version_1_example_parses_with_lqae_meanings_inferred()
    {
        // The example of the version 1 format document with its elided hashes filled in.
        const string example = """
        {
          "format": "langbridge-bundle", "formatVersion": 1, "name": "lqae-fashion", "kind": "lqae",
          "producer": "langbridge 0.1.0", "opset": 17, "irVersion": 8, "recipeSha256": "abc",
          "image": { "layout": "NCHW", "channels": 1, "height": 28, "width": 28, "mean": [0.5], "std": [0.5] },
          "tokens": { "perImage": 49, "grid": [7, 7], "levels": [49], "vocabulary": "vocab.txt", "vocabularySize": 32768, "embeddingDim": 100 },
          "graphs": {
            "encoder":   { "file": "encoder.onnx",
                           "inputs":  [{ "name": "image",   "dtype": "float32", "shape": ["batch", 1, 28, 28] }],
                           "outputs": [{ "name": "latents", "dtype": "float32", "shape": ["batch", 49, 100] }] }
          },
          "files": [ { "path": "encoder.onnx", "sha256": "0000000000000000000000000000000000000000000000000000000000000000", "bytes": 123456 } ]
        }
        """;

        var manifest = ManifestJson.Parse(example);

        Assert.Equal(49, manifest.Tokens!.PerImage);
        Assert.Equal([TensorDimension.Batch, 49, 100], manifest.Graphs["encoder"].Outputs[0].Shape);
        Assert.Equal(1, manifest.FormatVersion);
        Assert.Equal(TensorMeaning.Image, manifest.Graphs["encoder"].Inputs[0].Meaning);
        Assert.Equal(TensorMeaning.Latents, manifest.Graphs["encoder"].Outputs[0].Meaning);
    }

    [Theory]
    [InlineData("symbolic dimension that is not a lower-case identifier")]
    [InlineData("malformed meaning")]
    [InlineData("parity.json listed")]
    [InlineData("duplicate input name")]
    [InlineData("upper-case hash")]
    [InlineData("mean per channel")]
    [InlineData("zero std")]
    [InlineData("levels not summing to perImage")]
    [InlineData("unknown dtype")]
    [InlineData("duplicate file")]
    [InlineData("missing name")]
    [InlineData("layout")]
    public void Schema_violations_are_format_errors(string violation)
    {
        using var fixture = TestBundle.Create();
        var json = JsonNode.Parse(File.ReadAllText(fixture.PathOf("manifest.json")))!.AsObject();
        Action<JsonObject> edit = violation switch
        {
            "symbolic dimension that is not a lower-case identifier" => m => m["graphs"]!["encoder"]!["inputs"]![0]!["shape"]![0] = "Batch Size",
            "malformed meaning" => m => m["graphs"]!["encoder"]!["inputs"]![0]!["meaning"] = "Image",
            "parity.json listed" => m => m["files"]!.AsArray().Add(new JsonObject { ["path"] = "parity.json", ["sha256"] = new string('0', 64), ["bytes"] = 1 }),
            "duplicate input name" => m => m["graphs"]!["quantizer"]!["outputs"]![1]!["name"] = "token_ids",
            "upper-case hash" => m => m["files"]![0]!["sha256"] = m["files"]![0]!["sha256"]!.GetValue<string>().ToUpperInvariant(),
            "mean per channel" => m => m["image"]!["mean"] = new JsonArray(0.5, 0.5),
            "zero std" => m => m["image"]!["std"] = new JsonArray(0),
            "levels not summing to perImage" => m => m["tokens"]!["levels"] = new JsonArray(3),
            "unknown dtype" => m => m["graphs"]!["decoder"]!["inputs"]![0]!["dtype"] = "int128",
            "duplicate file" => m => m["files"]!.AsArray().Add(m["files"]![0]!.DeepClone()),
            "missing name" => m => m.Remove("name"),
            "layout" => m => m["image"]!["layout"] = "NHWC",
            _ => throw new ArgumentOutOfRangeException(nameof(violation)),
        };
        edit(json);

        var e = Assert.Throws<BundleFormatException>(() => ManifestJson.Parse(json.ToJsonString()));
        Assert.Equal("manifest.json", e.File);
    }

    [Fact]
    public void Seal_refuses_to_write_a_bundle_whose_graph_file_is_missing()
    {
        using var fixture = TestBundle.Create();
        File.Delete(fixture.PathOf("decoder.onnx"));

        var e = Assert.Throws<BundleFileMissingException>(() => BundleWriter.Seal(fixture.Directory, TestBundle.Manifest()));
        Assert.Equal("decoder.onnx", e.Path);
    }

    [Fact]
    public void Seal_refuses_to_write_a_manifest_the_runtime_would_reject()
    {
        using var fixture = TestBundle.Create();
        var before = File.ReadAllText(fixture.PathOf("manifest.json"));

        Assert.Throws<BundleFormatException>(() => BundleWriter.Seal(fixture.Directory, TestBundle.Manifest() with { FormatVersion = 1 })); // writers write v2 only
        Assert.Throws<BundleFormatException>(() => BundleWriter.Seal(fixture.Directory, TestBundle.Manifest() with { Image = TestBundle.Manifest().Image! with { Std = [0f] } }));
        Assert.Equal(before, File.ReadAllText(fixture.PathOf("manifest.json"))); // nothing half-written
    }

    [Fact]
    public void ComputeFiles_lists_nested_files_with_forward_slashes_and_skips_the_manifest()
    {
        using var fixture = TestBundle.Create();
        Directory.CreateDirectory(fixture.PathOf("extra"));
        File.WriteAllText(fixture.PathOf("extra/notes.txt"), "hello");

        var files = BundleWriter.ComputeFiles(fixture.Directory);

        var notes = Assert.Single(files, f => f.Path == "extra/notes.txt");
        Assert.Equal(5, notes.Bytes);
        Assert.Equal("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", notes.Sha256); // SHA-256("hello")
        Assert.DoesNotContain(files, f => f.Path == "manifest.json");
    }
}
