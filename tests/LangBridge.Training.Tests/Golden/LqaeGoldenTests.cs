using LangBridge.Data;
using LangBridge.Runtime;
using LangBridge.Training.Golden;
using LangBridge.Training.Lqae;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests.Golden;

/// <summary>
/// The committed reference checkpoint, exported and run by ONNX Runtime and by the runtime library on the
/// committed fixture images, must reproduce the committed golden outputs. Regenerate deliberately with
/// <c>./build.sh --target=Golden</c>, never to make these pass.
/// </summary>
public sealed class LqaeGoldenTests : IDisposable
{
    private static readonly string Root = TestPaths.RepositoryRoot;
    private static readonly string Dir = Path.Combine(Root, "tests", "LangBridge.Training.Tests", "Golden");
    private static readonly string CheckpointPath = Path.Combine(Root, "models", "lqae-reference.lbck");
    private static readonly string FixturesPath = Path.Combine(Dir, "fixtures-images-idx3-ubyte");

    private readonly LqaeRecipe recipe = LqaeRecipe.Load(Path.Combine(Root, "models", "lqae-reference.json"));
    private readonly ImageDataset fixtures = FashionMnist.ReadSplit(FixturesPath, Path.Combine(Dir, "fixtures-labels-idx1-ubyte"), FashionMnist.ClassNames);
    private readonly GoldenOutputs golden = GoldenOutputs.Load(Path.Combine(Dir, "lqae-reference.golden.safetensors"));
    private readonly LqaeModel model;

    public LqaeGoldenTests()
    {
        using var placeholder = zeros(recipe.Codebook.Size, recipe.Codebook.Dimension);   // the checkpoint holds the codebook
        model = LqaeModel.FromCheckpoint(recipe, placeholder, CheckpointPath);
    }

    public void Dispose() => model.Dispose();

    [Fact]
    public void ReferenceCheckpointIsSmall() => Assert.InRange(new FileInfo(CheckpointPath).Length, 1, 2 * 1024 * 1024);

    [Fact]
    public void GoldenFileDescribesTheCommittedCheckpointAndFixtures()
    {
        Assert.Equal(LqaeGolden.Sha256(CheckpointPath), golden.Metadata["checkpoint_sha256"]);
        Assert.Equal(LqaeGolden.Sha256(FixturesPath), golden.Metadata["fixtures_sha256"]);
        Assert.Equal(32, golden.Images);
        Assert.Equal(recipe.TokensPerImage, golden.TokensPerImage);
    }

    [Fact]
    public void OnnxRuntimeReproducesTheGoldenOutputs()
    {
        var actual = LqaeGolden.Compute(model, fixtures, CheckpointPath, FixturesPath);
        Assert.Empty(LqaeGolden.Compare(golden, actual));
    }

    [Fact]
    public void TorchSharpTokensMatchTheGoldenIdsExceptNearTies()
    {
        using var scope = NewDisposeScope();
        var images = ImageTensors.Normalised(fixtures, recipe.Data);
        var ids = model.Encode(images).data<long>().ToArray();
        var gaps = model.Quantizer.Top2Gap(model.Encoder.call(images)).flatten().data<float>().ToArray();
        var mismatches = Enumerable.Range(0, ids.Length).Where(i => ids[i] != golden.TokenIds[i] && gaps[i] >= 1e-6).ToArray();
        Assert.Empty(mismatches);
        Assert.True(ids.Distinct().Count() > 10, "the reference model should use more than a handful of words");
    }

    [Fact]
    public void RuntimeLibraryEncodesTheFixturesToTheGoldenIdsAndWords()
    {
        var bundle = Directory.CreateTempSubdirectory("lb-golden-bundle-").FullName;
        try
        {
            var vocabulary = File.ReadAllLines(Path.Combine(Root, "models", "lqae-reference.vocab.txt"));
            LqaeBundleExporter.Export(model, vocabulary, bundle);
            using var tokenizer = ImageTokenizer.Open(bundle);
            for (int i = 0; i < fixtures.Count; i++)
            {
                var result = tokenizer.Encode(fixtures.Image(i).ToArray(), fixtures.Width, fixtures.Height, fixtures.Channels);
                var expected = golden.TokenIds.AsSpan(i * golden.TokensPerImage, golden.TokensPerImage).ToArray();
                Assert.Equal(expected, result.TokenIds.ToArray());
                Assert.Equal(expected.Select(id => vocabulary[id]), result.Words);
            }
        }
        finally
        {
            Directory.Delete(bundle, recursive: true);
        }
    }

    [Fact]
    public void BundleParityPassesOnTheFixtures()
    {
        var bundle = Directory.CreateTempSubdirectory("lb-golden-parity-").FullName;
        try
        {
            var export = LqaeBundleExporter.Export(model, Enumerable.Range(0, recipe.Codebook.Size).Select(i => $"w{i}").ToArray(), bundle);
            using var images = ImageTensors.Normalised(fixtures, recipe.Data);
            var report = LqaeVerifier.Verify(model, export, images, batchSize: 16);
            Assert.True(report.Passed, report.ToJson());
            Assert.Equal(1.0, report.TokenMatchRate);
            Assert.All(report.Graphs.Values, g => Assert.True(g.Passed));
        }
        finally
        {
            Directory.Delete(bundle, recursive: true);
        }
    }
}
