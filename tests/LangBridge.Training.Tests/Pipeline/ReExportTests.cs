using LangBridge.Runtime;
using LangBridge.Training.Lqae;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests.Pipeline;

/// <summary>
/// Export → verify → export → verify → load: the parity report verify writes into the bundle is not part of
/// the seal, and a second export replaces the bundle whole. (Before, export sealed every file in the folder,
/// the earlier parity.json included; verify then rewrote it and the next load failed its SHA-256 check.)
/// </summary>
public sealed class ReExportTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lb-reexport-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private BundleParityReport ExportAndVerify(LqaeModel model, string bundle)
    {
        var kind = TinyLqae.Kind(model);
        var export = BundleExporter.Export(kind, bundle);
        Assert.DoesNotContain(export.Manifest.Files, f => f.Path == BundleVerifier.ReportFile);
        using var images = ImageTensors.Normalised(TinyLqae.Images(), model.Recipe.Data);
        var report = BundleVerifier.Verify(kind, export, kind.PlanVerification(images, batchSize: 16));
        BundleVerifier.WriteReport(bundle, report);
        return report;
    }

    [Fact]
    public void ExportVerifyExportVerifyThenTheBundleLoads()
    {
        var recipe = TinyLqae.Recipe(steps: 4);
        var bundle = Path.Combine(dir, "bundle");
        manual_seed(3);
        using var first = new LqaeModel(recipe, TinyLqae.Codebook());
        TinyLqae.Train(recipe, first, new TrainerOptions(Path.Combine(dir, "a.lbck"), Path.Combine(dir, "a.jsonl")));
        var before = ExportAndVerify(first, bundle);
        File.WriteAllText(Path.Combine(bundle, "stray.txt"), "left by hand");

        // A retrained model: other weights, so another parity report.
        manual_seed(4);
        using var second = new LqaeModel(recipe, TinyLqae.Codebook());
        TinyLqae.Train(recipe, second, new TrainerOptions(Path.Combine(dir, "b.lbck"), Path.Combine(dir, "b.jsonl")));
        var after = ExportAndVerify(second, bundle);
        Assert.NotEqual(before.ToJson(), after.ToJson());
        Assert.True(after.Passed, after.ToJson());

        var loaded = ModelBundle.Load(bundle);
        Assert.False(File.Exists(Path.Combine(bundle, "stray.txt")), "the second export replaces the folder whole");
        using var tokenizer = ImageTokenizer.Create(loaded);
        var image = TinyLqae.Images().Image(0).ToArray();
        using var ids = second.Encode(ImageTensors.Normalised(TinyLqae.Images().Slice(0, 1), recipe.Data));
        Assert.Equal(ids.data<long>().ToArray(), tokenizer.Encode(image, 8, 8, 1).TokenIds.ToArray());
    }

    [Fact]
    public void AFolderThatIsNotABundleIsNotReplaced()
    {
        var recipe = TinyLqae.Recipe(steps: 4);
        using var model = new LqaeModel(recipe, TinyLqae.Codebook());
        var folder = Path.Combine(dir, "mine");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "keep me");
        Assert.Throws<IOException>(() => BundleExporter.Export(TinyLqae.Kind(model), folder));
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(folder, "notes.txt")));
    }
}
