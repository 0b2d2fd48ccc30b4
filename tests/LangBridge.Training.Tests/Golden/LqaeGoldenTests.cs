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

/// <summary>The GloVe reference: its vocabulary file stands in for the data cache (the codebook vectors come from the checkpoint).</summary>
public sealed class LqaeGoldenTests() : LqaeGoldenCase("lqae-reference", Path.Combine(TestPaths.RepositoryRoot, "models", "lqae-reference.vocab.txt"));

/// <summary>The BERT reference: its truncated MiniLM is committed beside it, so neither needs the data cache.</summary>
public sealed class LqaeBertGoldenTests() : LqaeGoldenCase("lqae-bert-reference", null)
{
    [Fact]
    public void GoldenHiddenStatesAreTheBertsOutputsAndTheRuntimeReturnsThem()
    {
        var hidden = Golden.Tensor("hidden_states");
        Assert.Equal([(long)LqaeGolden.HiddenStateFixtures, Recipe.TokensPerImage, Recipe.Codebook.Dimension], hidden.Shape);
        var bundle = Directory.CreateTempSubdirectory("lb-golden-bert-").FullName;
        try
        {
            BundleExporter.Export(Model, bundle);
            using var tokenizer = ImageTokenizer.Open(bundle);
            int per = Recipe.TokensPerImage * Recipe.Codebook.Dimension;
            for (int i = 0; i < LqaeGolden.HiddenStateFixtures; i++)
            {
                var result = tokenizer.EncodeWithFeatures(new PixelImage(Fixtures.Width, Fixtures.Height, Fixtures.Channels, Fixtures.Image(i).ToArray()));
                var expected = hidden.Float32!.AsSpan(i * per, per).ToArray();
                var actual = result.Features!.HiddenStates.ToArray();
                Assert.Equal(expected.Length, actual.Length);
                Assert.All(Enumerable.Range(0, per), k => Assert.InRange(actual[k] - expected[k], -1e-4f, 1e-4f));
            }
        }
        finally
        {
            Directory.Delete(bundle, recursive: true);
        }
    }
}

/// <summary>
/// A committed reference checkpoint, exported and run by ONNX Runtime and by the runtime library on the
/// committed fixture images, must reproduce the committed golden outputs. Regenerate deliberately with
/// <c>./build.sh --target=Golden</c>, never to make these pass.
/// </summary>
public abstract class LqaeGoldenCase : IDisposable
{
    private static readonly string Root = TestPaths.RepositoryRoot;
    private static readonly string Dir = Path.Combine(Root, "tests", "LangBridge.Training.Tests", "Golden");
    private static readonly string FixturesPath = Path.Combine(Dir, "fixtures-images-idx3-ubyte");
    private readonly string CheckpointPath;

    protected readonly LqaeRecipe Recipe;
    protected readonly ImageDataset Fixtures = FashionMnist.ReadSplit(FixturesPath, Path.Combine(Dir, "fixtures-labels-idx1-ubyte"), FashionMnist.ClassNames);
    protected readonly GoldenOutputs Golden;
    private readonly KindContext context;
    protected readonly LqaeKindModel Model;

    protected LqaeGoldenCase(string name, string? vocabularyPath)
    {
        CheckpointPath = Path.Combine(Root, "models", name + ".lbck");
        Recipe = LqaeRecipe.Load(Path.Combine(Root, "models", name + ".json"));
        Golden = GoldenOutputs.Load(Path.Combine(Dir, name + ".golden.safetensors"));
        context = new KindContext(Root, Vocabulary: vocabularyPath);
        Model = (LqaeKindModel)new LqaeKind().Create(Recipe, context);
        Model.LoadWeights(CheckpointPath);
    }

    private long[] GoldenIds => Golden.Tensor("token_ids").Int64!;
    private int TokensPerImage => (int)Golden.Tensor("token_ids").Shape[1];

    public void Dispose()
    {
        Model.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void ReferenceCheckpointIsSmall() => Assert.InRange(new FileInfo(CheckpointPath).Length, 1, 2 * 1024 * 1024);

    [Fact]
    public void GoldenFileDescribesTheCommittedCheckpointAndFixtures()
    {
        Assert.Equal(LqaeGolden.Sha256(CheckpointPath), Golden.Metadata["checkpoint_sha256"]);
        Assert.Equal(LqaeGolden.Sha256(FixturesPath), Golden.Metadata["fixtures_sha256"]);
        Assert.Equal(32, Golden.Tensor("token_ids").Shape[0]);
        Assert.Equal(Recipe.TokensPerImage, TokensPerImage);
    }

    [Fact]
    public void OnnxRuntimeReproducesTheGoldenOutputs()
    {
        var actual = Model.Golden(context, Dir, CheckpointPath);
        Assert.Empty(actual.Compare(Golden));
    }

    [Fact]
    public void TorchSharpTokensMatchTheGoldenIdsExceptNearTies()
    {
        using var scope = NewDisposeScope();
        var images = ImageTensors.Normalised(Fixtures, Recipe.Data);
        var ids = Model.Model.Encode(images).data<long>().ToArray();
        var gaps = Model.Model.Quantizer.Top2Gap(Model.Model.Encoder.call(images)).flatten().data<float>().ToArray();
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
            var vocabulary = Model.Vocabulary!;
            BundleExporter.Export(Model, bundle);
            using var tokenizer = ImageTokenizer.Open(bundle);
            for (int i = 0; i < Fixtures.Count; i++)
            {
                var result = tokenizer.Encode(Fixtures.Image(i).ToArray(), Fixtures.Width, Fixtures.Height, Fixtures.Channels);
                var expected = GoldenIds.AsSpan(i * TokensPerImage, TokensPerImage).ToArray();
                Assert.Equal(expected, result.TokenIds.ToArray());
                Assert.Equal(expected.Select(id => vocabulary[(int)id]), result.Words);
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
            var export = BundleExporter.Export(Model, bundle);
            using var images = ImageTensors.Normalised(Fixtures, Recipe.Data);
            var report = BundleVerifier.Verify(Model, export, Model.PlanVerification(images, batchSize: 16));
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
