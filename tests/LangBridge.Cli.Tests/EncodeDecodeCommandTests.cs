namespace LangBridge.Cli.Tests;

/// <summary>`encode` and `decode` as a user runs them: results on standard output, problems on standard error.</summary>
public sealed class EncodeDecodeCommandTests(ReferenceBundle bundle) : IClassFixture<ReferenceBundle>
{
    [Fact]
    public void Encode_reports_each_bad_file_on_stderr_and_encodes_the_rest()
    {
        using var dir = new TempDir();
        var first = dir.File("first.png");
        File.WriteAllBytes(first, Images.Png(28, 0));
        var truncated = dir.File("truncated.png");
        var whole = Images.Png(64, 3);
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2)]);
        var missing = dir.File("missing.png");
        var last = dir.File("last.png");
        File.WriteAllBytes(last, Images.Png(40, 9));

        var result = LangBridgeCli.Run(dir.Path, "encode", bundle.Folder, first, truncated, missing, last);

        Assert.NotEqual(0, result.ExitCode);
        var output = result.OutputLines;
        Assert.True(output.Length == 2, result.ToString());
        Assert.StartsWith(first + ": ", output[0]);
        Assert.StartsWith(last + ": ", output[1]);
        Assert.DoesNotContain(output, l => l.Contains("error", StringComparison.OrdinalIgnoreCase));
        var errors = result.ErrorLines;
        Assert.Contains(errors, l => l.StartsWith("error: ") && l.Contains(truncated) && l.Contains("truncated"));
        Assert.Contains(errors, l => l.StartsWith("error: ") && l.Contains(missing));
        Assert.DoesNotContain(errors, l => l.TrimStart().StartsWith("at "));
    }

    [Fact]
    public void Encode_of_good_files_exits_zero_with_one_line_each_and_no_error()
    {
        using var dir = new TempDir();
        var paths = Enumerable.Range(0, 3).Select(i => dir.File($"img{i}.png")).ToArray();
        for (var i = 0; i < paths.Length; i++) File.WriteAllBytes(paths[i], Images.Png(28, 5 * i));

        var result = LangBridgeCli.Run(dir.Path, ["encode", bundle.Folder, .. paths]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(paths, result.OutputLines.Select(l => l[..l.IndexOf(": ", StringComparison.Ordinal)]));
        Assert.DoesNotContain(result.ErrorLines, l => l.Contains("error", StringComparison.OrdinalIgnoreCase)); // stderr holds only the bundle line
    }

    [Fact]
    public void Encode_features_on_a_bundle_without_a_bert_is_one_clear_error_before_any_result()
    {
        using var dir = new TempDir();
        var image = dir.File("img.png");
        File.WriteAllBytes(image, Images.Png(28, 1));

        var result = LangBridgeCli.Run(dir.Path, "encode", bundle.Folder, image, "--features");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        var line = Assert.Single(result.ErrorLines, l => l.StartsWith("error: "));
        Assert.Contains("--features", line);
        Assert.Contains("\"bert\"", line);
        Assert.DoesNotContain(result.ErrorLines, l => l.TrimStart().StartsWith("at "));
    }

    [Fact]
    public void Decode_errors_go_to_stderr_as_one_line()
    {
        using var dir = new TempDir();
        var output = dir.File("out.png");

        var result = LangBridgeCli.Run(dir.Path, "decode", bundle.Folder, "--ids", "1,2,x", "-o", output);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains("'x'", line);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Verbose_adds_the_stack_trace_to_a_user_error()
    {
        using var dir = new TempDir();

        var result = LangBridgeCli.Run(dir.Path, "decode", bundle.Folder, "--ids", "1,2,x", "-o", dir.File("out.png"), "--verbose");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.ErrorLines[0]);
        Assert.Contains(result.ErrorLines, l => l.TrimStart().StartsWith("at "));
    }
}
