using LangBridge.Data;
using LangBridge.Onnx.Parity;
using LangBridge.Runtime;
using LangBridge.Training.Golden;
using LangBridge.Training.Kinds;
using LangBridge.Training.Lqae;
using LangBridge.Training.Pipeline;
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
    private static readonly string VocabularyPath = Path.Combine(Root, "models", "lqae-reference.vocab.txt");
    // The vocabulary file stands in for the data cache: the codebook vectors come from the checkpoint.
    private readonly KindContext context = new(Root, Vocabulary: VocabularyPath);
    private readonly LqaeKindModel model;

    public LqaeGoldenTests()
    {
        model = (LqaeKindModel)new LqaeKind().Create(recipe, context);
        model.LoadWeights(CheckpointPath);
    }

    private long[] GoldenIds => golden.Tensor("token_ids").Int64!;
    private int TokensPerImage => (int)golden.Tensor("token_ids").Shape[1];

    public void Dispose() => model.Dispose();

    [Fact]
    public void ReferenceCheckpointIsSmall() => Assert.InRange(new FileInfo(CheckpointPath).Length, 1, 2 * 1024 * 1024);

    [Fact]
    public void GoldenFileDescribesTheCommittedCheckpointAndFixtures()
    {
        Assert.Equal(LqaeGolden.Sha256(CheckpointPath), golden.Metadata["checkpoint_sha256"]);
        Assert.Equal(LqaeGolden.Sha256(FixturesPath), golden.Metadata["fixtures_sha256"]);
        Assert.Equal(32, golden.Tensor("token_ids").Shape[0]);
        Assert.Equal(recipe.TokensPerImage, TokensPerImage);
    }

    [Fact]
    public void OnnxRuntimeReproducesTheGoldenOutputs()
    {
        var actual = model.Golden(context, Dir, CheckpointPath);
        Assert.Empty(actual.Compare(golden));
    }

    [Fact]
    public void TorchSharpTokensMatchTheGoldenIdsExceptNearTies()
    {
        using var scope = NewDisposeScope();
        var images = ImageTensors.Normalised(fixtures, recipe.Data);
        var ids = model.Model.Encode(images).data<long>().ToArray();
        var gaps = model.Model.Quantizer.Top2Gap(model.Model.Encoder.call(images)).flatten().data<float>().ToArray();
        var mismatches = Enumerable.Range(0, ids.Length).Where(i => ids[i] != GoldenIds[i] && gaps[i] >= ParityTolerance.NearTieGap).ToArray();
        Assert.Empty(mismatches);
        Assert.True(ids.Distinct().Count() > 10, "the reference model should use more than a handful of words");
    }

    [Fact]
    public void RuntimeLibraryEncodesTheFixturesToTheGoldenIdsAndWords()
    {
        var bundle = Directory.CreateTempSubdirectory("lb-golden-bundle-").FullName;
        try
        {
            var vocabulary = File.ReadAllLines(VocabularyPath);
            BundleExporter.Export(model, bundle);
            using var tokenizer = ImageTokenizer.Open(bundle);
            for (int i = 0; i < fixtures.Count; i++)
            {
                var result = tokenizer.Encode(fixtures.Image(i).ToArray(), fixtures.Width, fixtures.Height, fixtures.Channels);
                var expected = GoldenIds.AsSpan(i * TokensPerImage, TokensPerImage).ToArray();
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
            var export = BundleExporter.Export(model, bundle);
            using var images = ImageTensors.Normalised(fixtures, recipe.Data);
            var report = BundleVerifier.Verify(model, export, model.PlanVerification(images, batchSize: 16));
            Assert.True(report.Passed, report.ToJson());
            Assert.Equal(1.0, report.Checks["token_ids"].Numbers["token_match_rate"]);
            Assert.All(report.Graphs.Values, g => Assert.True(g.Passed));
        }
        finally
        {
            Directory.Delete(bundle, recursive: true);
        }
    }
}
