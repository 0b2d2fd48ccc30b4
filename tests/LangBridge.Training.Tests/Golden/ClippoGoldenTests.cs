using System.Security.Cryptography;
using LangBridge.Data;
using LangBridge.Runtime;
using LangBridge.Training.Clippo;
using LangBridge.Training.Golden;
using LangBridge.Training.Kinds;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests.Golden;

/// <summary>
/// The committed CLIPPO reference checkpoint, exported and run by ONNX Runtime, by TorchSharp and by the runtime
/// library (which renders the texts itself with the bundle's font), must reproduce the committed golden
/// embeddings of the fixture images and texts. The font comes from the data cache (the Test task fetches
/// GNU Unifont). Regenerate deliberately with <c>./build.sh --target=Golden</c>, never to make these pass.
/// </summary>
public sealed class ClippoGoldenTests : IDisposable
{
    private static readonly string Root = TestPaths.RepositoryRoot;
    private static readonly string Dir = Path.Combine(Root, "tests", "LangBridge.Training.Tests", "Golden");
    private static readonly string CheckpointPath = Path.Combine(Root, "models", "clippo-reference.lbck");

    private readonly ClippoRecipe recipe = (ClippoRecipe)KindRegistry.Default.LoadRecipe(Path.Combine(Root, "models", "clippo-reference.json"));
    private readonly ImageDataset fixtures = LqaeGolden.LoadFixtures(Dir);
    private readonly GoldenOutputs golden = GoldenOutputs.Load(Path.Combine(Dir, "clippo-reference.golden.safetensors"));
    private readonly KindContext context = new(Root);
    private readonly ClippoKindModel model;

    public ClippoGoldenTests()
    {
        var font = DataLayout.Resolve();
        if (!File.Exists(font.UnifontHex))
            throw new FileNotFoundException($"GNU Unifont is not in the data cache ({font.UnifontHex}): `./build.sh --target=Test` fetches it, or run `langbridge data fetch --only unifont`.");
        model = ClippoKindModel.Create(recipe, UnifontFont.Load(font.UnifontHex), FashionMnist.ClassNames);
        model.LoadWeights(CheckpointPath);
    }

    public void Dispose() => model.Dispose();

    private static void AssertClose(GoldenTensor expected, IReadOnlyList<float[]> rows)
    {
        int e = (int)expected.Shape[1];
        Assert.Equal(expected.Shape[0], rows.Count);
        for (int i = 0; i < rows.Count; i++)
            for (int k = 0; k < e; k++)
            {
                var want = expected.Float32![i * e + k];
                Assert.True(Math.Abs(rows[i][k] - want) <= ClippoGolden.Atol + ClippoGolden.Rtol * Math.Abs(want),
                    $"{expected.Name}[{i}, {k}]: {rows[i][k]} vs golden {want}");
            }
    }

    [Fact]
    public void ReferenceCheckpointIsSmall() => Assert.InRange(new FileInfo(CheckpointPath).Length, 1, 512 * 1024);

    [Fact]
    public void GoldenFileDescribesTheCommittedCheckpointFixturesAndTexts()
    {
        Assert.Equal(LqaeGolden.Sha256(CheckpointPath), golden.Metadata["checkpoint_sha256"]);
        Assert.Equal(LqaeGolden.Sha256(Path.Combine(Dir, LqaeGolden.FixtureImages)), golden.Metadata["fixtures_sha256"]);
        Assert.Equal(string.Join("\n", ClippoGolden.FixtureTexts), golden.Metadata["texts"]);
        Assert.Equal(model.InputHashes["font"], golden.Metadata["font_sha256"]);
        Assert.Equal([fixtures.Count, recipe.Encoder.Embedding], golden.Tensor("image_embeddings").Shape);
        Assert.Equal([ClippoGolden.FixtureTexts.Count, recipe.Encoder.Embedding], golden.Tensor("text_embeddings").Shape);
        // A collapsed reference (every input one embedding) would let a broken text or image path pass.
        foreach (var name in new[] { "image_embeddings", "text_embeddings" })
        {
            var t = golden.Tensor(name);
            int e = (int)t.Shape[1];
            var rows = Enumerable.Range(0, (int)t.Shape[0]).Select(i => t.Float32![(i * e)..((i + 1) * e)]).ToArray();
            var lowest = rows.SelectMany((a, i) => rows.Skip(i + 1).Select(b => ClippoEmbeddings.Dot(a, b))).Min();
            Assert.True(lowest < 0.9f, $"{name}: the most different pair still has cosine {lowest}");
        }
    }

    [Fact]
    public void OnnxRuntimeReproducesTheGoldenEmbeddings() => Assert.Empty(model.Golden(context, Dir, CheckpointPath).Compare(golden));

    [Fact]
    public void TorchSharpEmbeddingsMatchTheGoldenOnes()
    {
        using var scope = NewDisposeScope();
        var torch = new ClippoEmbeddings(model.Model, model.Text);
        AssertClose(golden.Tensor("image_embeddings"), torch.Images(ClippoImages.Normalised(fixtures)));
        AssertClose(golden.Tensor("text_embeddings"), torch.Texts(ClippoGolden.FixtureTexts));
    }

    [Fact]
    public void RuntimeLibraryEmbedsTheFixturesAndRendersTheTextsToTheGoldenEmbeddings()
    {
        var bundle = Directory.CreateTempSubdirectory("lb-golden-clippo-").FullName;
        try
        {
            BundleExporter.Export(model, bundle);
            using var images = ImageEmbedder.Open(bundle);
            using var texts = TextEmbedder.Open(bundle);
            var pixels = Enumerable.Range(0, fixtures.Count).Select(i => new PixelImage(fixtures.Width, fixtures.Height, 1, fixtures.Image(i).ToArray())).ToArray();
            AssertClose(golden.Tensor("image_embeddings"), images.Embed(pixels).Select(x => x.Vector.ToArray()).ToArray());
            var embedded = texts.Embed(ClippoGolden.FixtureTexts);
            AssertClose(golden.Tensor("text_embeddings"), embedded.Select(x => x.Vector.ToArray()).ToArray());
            Assert.True(embedded[^1].Truncated);
            Assert.False(embedded[0].Truncated);
        }
        finally
        {
            Directory.Delete(bundle, recursive: true);
        }
    }
}
