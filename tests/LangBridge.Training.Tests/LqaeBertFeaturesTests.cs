using LangBridge.Training.Evaluation;
using LangBridge.Training.Lqae;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests;

/// <summary>The evaluation's BERT features, masked decoding, the dense probe and the whole-word share (issue 14, part 2).</summary>
public sealed class LqaeBertFeaturesTests : IDisposable
{
    private readonly TinyLqaeBert tiny = new();

    public void Dispose() => tiny.Dispose();

    private static Tensor Images(int count) =>                                      // (B, 1, 28, 28) normalised
        ImageTensors.Normalised(TinyLqae.Images(count), TinyLqae.Recipe().Data);

    [Fact]
    public void EveryLayerIsReturnedAndTheLastIsWhatReadGives()
    {
        using var scope = NewDisposeScope();
        using var kind = tiny.Create(tiny.Recipe(layers: 2));
        var bert = kind.Model.Bert!;
        var vectors = bert.Embed(randint(0, bert.Words, [3, 16], dtype: ScalarType.Int64, generator: new Generator(4)));   // (3, 16, D)
        var stages = bert.Body.ReadEveryLayer(vectors);
        Assert.Equal(3, stages.Count);                                                // embedding output + 2 layers
        Assert.True(stages[^1].allclose(bert.Read(vectors), rtol: 0, atol: 0));
        Assert.False(stages[0].allclose(stages[^1], atol: 1e-3));                     // the layers change the vectors
    }

    [Fact]
    public void FeaturesAreTheTokenAveragesOfTheLatentsAndEveryBertLayer()
    {
        using var scope = NewDisposeScope();
        using var kind = tiny.Create(tiny.Recipe(layers: 2));
        var model = kind.Model;
        model.eval();
        var images = Images(5);
        var features = model.Features(images);
        var ids = model.Encode(images);
        Assert.True(features.TokenIds.eq(ids).all().item<bool>());
        Assert.Equal(new long[] { 5, (2 + 2) * TinyLqaeBert.Hidden }, features.Probe.shape);
        Assert.Equal(new long[] { 5, TinyLqaeBert.Hidden }, features.Sentence.shape);
        using var noGrad = no_grad();
        var hidden = model.Bert!.Read(model.Bert.Embed(ids));                           // (5, N, D)
        Assert.True(features.Sentence.allclose(hidden.mean([1]), atol: 1e-6));
        // The probe's last block is the sentence feature; its first the averaged unit latents.
        Assert.True(features.Probe.narrow(1, 3 * TinyLqaeBert.Hidden, TinyLqaeBert.Hidden).allclose(features.Sentence, atol: 1e-6));
        Assert.True(features.Probe.narrow(1, 0, TinyLqaeBert.Hidden).allclose(model.Latents(images).mean([1]), atol: 1e-6));
    }

    [Fact]
    public void MaskedDecodingFeedsTheMaskRowAndChangesTheImageOnlyWhereMasked()
    {
        using var scope = NewDisposeScope();
        using var kind = tiny.Create();
        var model = kind.Model;
        model.eval();
        var ids = model.Encode(Images(4));                                             // (4, N)
        var none = zeros(ids.shape, dtype: ScalarType.Bool);
        Assert.True(model.DecodeMasked(ids, none).allclose(model.Decode(ids), rtol: 0, atol: 0));
        var half = LqaeModel.ExactMask(ids.shape[0], ids.shape[1], 0.5f, new Generator(3))!;
        var viaMaskId = model.Decode(ids.masked_fill(half, model.Bert!.MaskId));
        Assert.True(model.DecodeMasked(ids, half).allclose(viaMaskId, rtol: 0, atol: 0));
        Assert.False(model.DecodeMasked(ids, half).allclose(model.Decode(ids), atol: 1e-4));
    }

    [Fact]
    public void TheEvaluatorsMaskedReconstructionsAreReproducibleAndOnlyForBertModels()
    {
        using var kind = tiny.Create();
        var data = TinyLqae.Images(12);
        var first = LqaeEvaluator.Encode(kind.Model, data, reconstruct: true, batchSize: 5);
        var second = LqaeEvaluator.Encode(kind.Model, data, reconstruct: true, batchSize: 5);
        Assert.NotNull(first.MaskedReconstructions);
        Assert.Equal(first.MaskedReconstructions, second.MaskedReconstructions);
        Assert.NotEqual(first.Reconstructions, first.MaskedReconstructions);
        var features = LqaeEvaluator.Features(kind.Model, data, batchSize: 5);
        Assert.Equal(12 * features.ProbeDimension, features.Probe.Length);
        Assert.Equal(12 * TinyLqaeBert.Hidden, features.Sentence.Length);

        using var glove = TinyLqae.Kind(new LqaeModel(TinyLqae.Recipe(), TinyLqae.Codebook()));
        Assert.Null(LqaeEvaluator.Encode(glove.Model, data, reconstruct: true).MaskedReconstructions);
    }

    [Fact]
    public void TheDenseProbeSeparatesLinearlySeparableClassesAndNotShuffledLabels()
    {
        using var scope = NewDisposeScope();
        // Three classes whose means differ along one of 12 dimensions, buried in unit noise; features are offset and
        // scaled so the LayerNorm matters.
        var generator = new Generator(8);
        (Tensor X, int[] Y) Set(int n)
        {
            var y = Enumerable.Range(0, n).Select(i => i % 3).ToArray();
            var x = randn(n, 12, generator: generator);
            for (int i = 0; i < n; i++) x[i, y[i]].add_(4f);
            return (x * 10 + 3, y);
        }
        var (trainX, trainY) = Set(600);
        var (testX, testY) = Set(300);
        Assert.InRange(FeatureProbe.Accuracy(trainX, trainY, testX, testY, 3, epochs: 20, seed: 1, batchSize: 32), 0.9, 1.0);
        var random = new Random(5);
        var noise = trainY.Select(_ => random.Next(3)).ToArray();
        Assert.InRange(FeatureProbe.Accuracy(trainX, noise, testX, testY, 3, epochs: 20, seed: 1, batchSize: 32), 0.0, 0.6);
        Assert.Throws<ArgumentException>(() => FeatureProbe.Accuracy(trainX, trainY[..10], testX, testY, 3, 1, 1));
    }

    [Fact]
    public void CosineFewShotIsPerfectOnSeparatedDirectionsAndAtChanceOnShuffledLabels()
    {
        // Two classes pointing two ways, at different lengths: cosine ignores the length.
        var random = new Random(4);
        var labels = Enumerable.Range(0, 40).Select(i => i % 2).ToArray();
        var features = labels.SelectMany((l, i) => new[] { (l == 0 ? 1f : 0.1f) * (1 + i), (l == 0 ? 0.1f : 1f) * (1 + i) }).ToArray();
        Assert.Equal(1.0, FewShotEvaluator.FeatureAccuracy(features, 2, labels, 2, 1, 3, 200, 7));
        var shuffled = labels.Select(_ => random.Next(2)).ToArray();
        Assert.InRange(FewShotEvaluator.FeatureAccuracy(features, 2, shuffled, 2, 1, 3, 2000, 7), 0.35, 0.65);
    }

    [Fact]
    public void WholeWordShareCountsImagesWithNoPieceDigitOrSign()
    {
        string[] words = ["shoe", "##s", "dark", "42", "bag", "x-ray"];
        long[][] ids = [[0, 2, 4], [0, 1], [2, 3], [4, 4, 0], [5]];
        Assert.Equal(2.0 / 5, LqaeEvaluator.WholeWordShare(ids, words), 12);
    }
}
