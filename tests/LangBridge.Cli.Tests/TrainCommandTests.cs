using LangBridge.Data;

namespace LangBridge.Cli.Tests;

/// <summary>`train` on a tiny generated image folder and codebook, in a folder of its own (its own repository root).</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Writes the data, codebook and recipe; returns the recipe path.</summary>
    private string TinyRun(int imagesPerClass, int batchSize)
    {
        File.WriteAllText(_dir.File("LangBridge.slnx"), "<Solution />"); // artifacts/ land in this folder
        foreach (var label in new[] { "dark", "light" })
            for (var i = 0; i < imagesPerClass; i++)
                File.WriteAllBytes(_dir.File("images", "train", label, $"{i}.png"), Images.Png(8, label == "dark" ? i : 8 + i));
        const int words = 16, dimension = 4;
        var vectors = Enumerable.Range(0, words * dimension).Select(i => MathF.Sin(i * 0.7f)).ToArray();
        new LanguageCodebook(Enumerable.Range(0, words).Select(i => $"w{i}").ToArray(), vectors, dimension, null, "generated")
            .Save(Directory.CreateDirectory(_dir.File("codebook", "x")).Parent!.FullName);
        var recipe = _dir.File("tiny.json");
        File.WriteAllText(recipe, $$"""
            {
              "name": "tiny", "kind": "lqae", "seed": 1,
              "data": { "dataset": "{{_dir.File("images").Replace("\\", "/")}}", "imageSize": 8, "channels": 1 },
              "codebook": { "path": "{{_dir.File("codebook").Replace("\\", "/")}}", "size": {{words}}, "dimension": {{dimension}} },
              "encoder": { "type": "conv", "channels": 16, "downsample": 4, "residualBlocks": 0, "groups": 4 },
              "decoder": { "type": "conv", "channels": 16, "residualBlocks": 0, "groups": 4 },
              "training": { "steps": 2, "batchSize": {{batchSize}}, "learningRate": 0.001, "warmupSteps": 0,
                            "checkpointEvery": 2, "logEvery": 1, "threads": 1 }
            }
            """);
        return recipe;
    }

    [Fact]
    public void Training_prints_no_nnpack_warning()
    {
        // libtorch asks for NNPACK (and so warns on CPUs it does not support) only for batches of 16 or more.
        var recipe = TinyRun(imagesPerClass: 8, batchSize: 16);

        var result = LangBridgeCli.Run(_dir.Path, "train", "--recipe", recipe);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(_dir.File("artifacts", "checkpoints", "tiny", "last.lbck")), result.ToString());
        Assert.False(result.ToString().Contains("NNPACK"), result.ToString());
    }
}
