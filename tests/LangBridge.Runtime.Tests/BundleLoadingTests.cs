using System.Text.Json.Nodes;
using LangBridge.Runtime.Tests.Fixtures;

namespace LangBridge.Runtime.Tests;

public sealed class BundleLoadingTests
{
    [Fact]
    public void A_sealed_bundle_loads_with_its_manifest_and_vocabulary()
    {
        using var fixture = TestBundle.Create();
        var bundle = ModelBundle.Load(fixture.Directory);

        Assert.Equal("tiny-lqae", bundle.Manifest.Name);
        Assert.Equal(TestBundle.Words, bundle.Vocabulary);
        Assert.Equal(["decoder.onnx", "encoder.onnx", "quantizer.onnx", "vocab.txt"], bundle.Manifest.Files.Select(f => f.Path));
        Assert.All(bundle.Manifest.Files, f => Assert.Matches("^[0-9a-f]{64}$", f.Sha256));
        Assert.Equal(new FileInfo(fixture.PathOf("encoder.onnx")).Length, bundle.Manifest.Files.Single(f => f.Path == "encoder.onnx").Bytes);
    }

    [Fact]
    public void One_flipped_byte_fails_the_integrity_check_naming_the_file()
    {
        using var fixture = TestBundle.Create();
        var path = fixture.PathOf("encoder.onnx");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("encoder.onnx", e.Path);
        Assert.Contains("encoder.onnx", e.Message);
        Assert.Contains("SHA-256", e.Message);
        Assert.NotEqual(e.Expected, e.Actual);
    }

    [Fact]
    public void A_flipped_byte_in_the_vocabulary_fails_too()
    {
        using var fixture = TestBundle.Create();
        File.WriteAllText(fixture.PathOf("vocab.txt"), string.Join('\n', TestBundle.Words).Replace("cat", "cab") + "\n");

        var e = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("vocab.txt", e.Path);
    }

    [Fact]
    public void A_truncated_file_fails_on_its_size()
    {
        using var fixture = TestBundle.Create();
        var path = fixture.PathOf("decoder.onnx");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);

        var e = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("decoder.onnx", e.Path);
        Assert.Equal(bytes.Length.ToString(), e.Expected);
        Assert.Contains($"{bytes.Length - 10} bytes", e.Message);
    }

    [Fact]
    public void A_missing_file_fails_naming_it()
    {
        using var fixture = TestBundle.Create();
        File.Delete(fixture.PathOf("quantizer.onnx"));

        var e = Assert.Throws<BundleFileMissingException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("quantizer.onnx", e.Path);
        Assert.Contains("'quantizer.onnx' is missing", e.Message);
    }

    [Fact]
    public void A_missing_manifest_fails_naming_it()
    {
        using var fixture = TestBundle.Create();
        File.Delete(fixture.PathOf("manifest.json"));

        var e = Assert.Throws<BundleFileMissingException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("manifest.json", e.Path);
    }

    [Theory]
    [InlineData("../encoder.onnx")]
    [InlineData("sub/../../encoder.onnx")]
    [InlineData("/etc/hostname")]
    [InlineData("C:/Windows/win.ini")]
    [InlineData("sub\\encoder.onnx")]
    [InlineData("./encoder.onnx")]
    public void A_manifest_path_leaving_the_folder_is_refused(string path)
    {
        using var fixture = TestBundle.Create();
        fixture.EditManifestJson(m => m["files"]!.AsArray()[0]!["path"] = path);

        var e = Assert.Throws<BundlePathException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_graph_path_with_dot_dot_is_refused()
    {
        using var fixture = TestBundle.Create();
        fixture.EditManifestJson(m => m["graphs"]!["encoder"]!["file"] = "../outside.onnx");

        var e = Assert.Throws<BundlePathException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Contains("..", e.Reason);
    }

    [Fact]
    public void A_symbolic_link_pointing_outside_the_folder_is_refused()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // creating links needs privileges there; the check itself is platform-neutral
        }

        using var fixture = TestBundle.Create();
        using var outside = TestBundle.Create();
        var vocab = fixture.PathOf("vocab.txt");
        File.Delete(vocab);
        File.CreateSymbolicLink(vocab, outside.PathOf("vocab.txt")); // same bytes, so only the path check can refuse it

        var e = Assert.Throws<BundlePathException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("vocab.txt", e.Path);
        Assert.Contains("outside the bundle folder", e.Message);
    }

    [Fact]
    public void A_manifest_that_is_a_link_to_another_folder_is_refused()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var fixture = TestBundle.Create();
        using var outside = TestBundle.Create();
        File.Delete(fixture.PathOf("manifest.json"));
        File.CreateSymbolicLink(fixture.PathOf("manifest.json"), outside.PathOf("manifest.json"));

        var e = Assert.Throws<BundlePathException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("manifest.json", e.Path);
    }

    [Fact]
    public void A_symbolic_link_staying_inside_the_folder_is_accepted()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var fixture = TestBundle.Create();
        Directory.CreateDirectory(fixture.PathOf("data"));
        File.Move(fixture.PathOf("vocab.txt"), fixture.PathOf("data/vocab.txt"));
        File.CreateSymbolicLink(fixture.PathOf("vocab.txt"), "data/vocab.txt");
        fixture.EditManifestJson(m => m["files"]!.AsArray().Add(new JsonObject
        {
            ["path"] = "data/vocab.txt",
            ["sha256"] = m["files"]!.AsArray().Single(f => (string)f!["path"]! == "vocab.txt")!["sha256"]!.GetValue<string>(),
            ["bytes"] = new FileInfo(fixture.PathOf("data/vocab.txt")).Length,
        }));

        Assert.Equal(TestBundle.Words, ModelBundle.Load(fixture.Directory).Vocabulary);
    }

    [Fact]
    public void An_unknown_format_version_is_refused()
    {
        using var fixture = TestBundle.Create();
        fixture.EditManifestJson(m => m["formatVersion"] = 3);

        var e = Assert.Throws<UnsupportedFormatVersionException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal(3, e.FormatVersion);
        Assert.Equal(2, e.SupportedVersion);
        Assert.Equal([1, 2], e.SupportedVersions);
        Assert.Contains("formatVersion 3", e.Message);
        Assert.Contains("re-export the bundle", e.Message);
        Assert.Contains("upgrade the LangBridge.Runtime package", e.Message);
    }

    [Fact]
    public void An_opset_above_the_runtime_is_refused()
    {
        using var fixture = TestBundle.Create(opset: RuntimeSupport.MaxOpset + 1);

        var e = Assert.Throws<UnsupportedOpsetException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal(RuntimeSupport.MaxOpset + 1, e.Requested);
        Assert.Equal(RuntimeSupport.MaxOpset, e.Supported);
        Assert.Contains($"opset {RuntimeSupport.MaxOpset + 1}", e.Message);
    }

    [Fact]
    public void An_ir_version_above_the_runtime_is_refused()
    {
        using var fixture = TestBundle.Create(irVersion: RuntimeSupport.MaxIrVersion + 1);

        var e = Assert.Throws<UnsupportedOpsetException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("IR version", e.What);
        Assert.Equal(RuntimeSupport.MaxIrVersion + 1, e.Requested);
    }

    [Fact]
    public void A_graph_whose_opset_is_too_high_is_refused_even_if_the_manifest_understates_it()
    {
        using var fixture = TestBundle.Create(m => m with { Opset = 17 }, opset: RuntimeSupport.MaxOpset + 1);

        var e = Assert.Throws<UnsupportedOpsetException>(() => ModelBundle.Load(fixture.Directory));
        Assert.EndsWith(".onnx", e.File);
    }

    [Fact]
    public void A_graph_disagreeing_with_the_manifest_opset_is_refused()
    {
        using var fixture = TestBundle.Create(m => m with { Opset = 18 }, opset: 17);

        var e = Assert.Throws<BundleFormatException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Contains("opset 17", e.Message);
        Assert.Contains("opset 18", e.Message);
    }

    [Fact]
    public void The_measured_opset_limit_matches_the_loaded_onnx_runtime()
    {
        // RuntimeSupport's limits were measured with ONNX Runtime 1.31.1; the check must fail loudly
        // when the referenced native package changes, so the limits get measured again.
        Assert.StartsWith("1.31.", RuntimeSupport.OnnxRuntimeVersion);
    }

    [Fact]
    public void A_graph_not_listed_in_files_is_refused()
    {
        using var fixture = TestBundle.Create();
        fixture.EditManifestJson(m =>
        {
            var files = m["files"]!.AsArray();
            files.Remove(files.Single(f => (string)f!["path"]! == "decoder.onnx"));
        });

        var e = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("decoder.onnx", e.Path);
        Assert.Null(e.Expected);
    }

    [Fact]
    public void A_vocabulary_size_mismatch_is_refused()
    {
        using var fixture = TestBundle.Create(m => m with { Tokens = m.Tokens! with { VocabularySize = 6 } });

        var e = Assert.Throws<BundleFormatException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("vocab.txt", e.File);
        Assert.Contains("5 words", e.Message);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[]")]
    [InlineData("{\"format\":\"something-else\",\"formatVersion\":1}")]
    [InlineData("{\"format\":\"langbridge-bundle\",\"formatVersion\":1}")]
    public void A_malformed_manifest_is_a_format_error(string json)
    {
        using var fixture = TestBundle.Create();
        File.WriteAllText(fixture.PathOf("manifest.json"), json);

        var e = Assert.Throws<BundleFormatException>(() => ModelBundle.Load(fixture.Directory));
        Assert.Equal("manifest.json", e.File);
    }

    [Fact]
    public void Every_bundle_error_derives_from_LangBridgeException()
    {
        using var fixture = TestBundle.Create();
        File.Delete(fixture.PathOf("vocab.txt"));

        Assert.IsAssignableFrom<LangBridgeException>(Record.Exception(() => ModelBundle.Load(fixture.Directory)));
    }
}
