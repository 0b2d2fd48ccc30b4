using TorchSharp;
using static TorchSharp.torch;

namespace LangBridge.Training.Evaluation;

/// <summary>
/// Linear probe on dense features: LayerNorm then one linear layer, as LQAE's paper probes its frozen
/// encoder + BERT features, trained with Adam on a cosine learning-rate decay and scored on held-out features.
/// </summary>
public static class FeatureProbe
{
    /// <summary>Test accuracy of the probe.</summary>
    /// <param name="train">(N, F) features of the training images.</param>
    /// <param name="test">(M, F) features of the test images.</param>
    public static double Accuracy(Tensor train, int[] trainLabels, Tensor test, int[] testLabels, int classes, int epochs, int seed,
        int batchSize = 256, double learningRate = 1e-3, double weightDecay = 1e-4)
    {
        if (train.ndim != 2 || test.ndim != 2 || train.shape[1] != test.shape[1])
            throw new ArgumentException($"features must be (N, F) with one F; got [{string.Join(", ", train.shape)}] and [{string.Join(", ", test.shape)}]");
        if (train.shape[0] != trainLabels.Length || test.shape[0] != testLabels.Length) throw new ArgumentException("one label per feature row");
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed);
        manual_seed(seed);                                                            // the linear layer's initial weights
        long n = train.shape[0], f = train.shape[1];
        var probe = nn.Sequential(("norm", nn.LayerNorm(f)), ("linear", nn.Linear(f, classes)));
        var optimizer = optim.AdamW(probe.parameters(), learningRate, weight_decay: weightDecay);
        var yTrain = tensor(trainLabels.Select(l => (long)l).ToArray());

        probe.train();
        CosineProbeLoop.Run(optimizer, n, epochs, batchSize, learningRate, generator,
            idx => nn.functional.cross_entropy(probe.call(train.index_select(0, idx)), yTrain.index_select(0, idx)));

        probe.eval();
        using var noGrad = no_grad();
        var predicted = probe.call(test).argmax(1).data<long>().ToArray();
        return (double)predicted.Where((p, i) => p == testLabels[i]).Count() / testLabels.Length;
    }
}
