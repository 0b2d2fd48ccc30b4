using TorchSharp;
using static TorchSharp.torch;

namespace LangBridge.Training.Evaluation;

/// <summary>
/// Linear probe: multinomial logistic regression on bag-of-token counts (position-free), trained on the
/// train split's tokens and scored on the test split's. logits = Σ_t W[token_t] + b, which is exactly a
/// linear model over the count vector without materialising it. Trained by
/// <see cref="CosineProbeLoop"/>.
/// </summary>
public static class BagOfTokensProbe
{
    /// <summary>Test accuracy of the probe.</summary>
    /// <param name="trainTokens">(N, T) token ids of the training images.</param>
    /// <param name="testTokens">(M, T) token ids of the test images.</param>
    public static double Accuracy(Tensor trainTokens, int[] trainLabels, Tensor testTokens, int[] testLabels,
        int vocabularySize, int classes, int epochs, int seed, int batchSize = 512, double learningRate = 0.05, double weightDecay = 1e-5)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed);
        var weight = new TorchSharp.Modules.Parameter(zeros(vocabularySize, classes));   // (V, C)
        var bias = new TorchSharp.Modules.Parameter(zeros(classes));                     // (C)
        var optimizer = optim.Adam([weight, bias], learningRate, weight_decay: weightDecay);
        var yTrain = tensor(trainLabels.Select(l => (long)l).ToArray());
        long n = trainTokens.shape[0], t = trainTokens.shape[1];

        Tensor Logits(Tensor tokens) =>                                 // (B, T) -> (B, C)
            weight.index_select(0, tokens.flatten()).view(tokens.shape[0], t, classes).sum(1) + bias;

        CosineProbeLoop.Run(optimizer, n, epochs, batchSize, learningRate, generator,
            idx => nn.functional.cross_entropy(Logits(trainTokens.index_select(0, idx)), yTrain.index_select(0, idx)));

        using var noGrad = no_grad();
        long correct = 0;
        for (long start = 0; start < testTokens.shape[0]; start += batchSize)
        {
            using var step = NewDisposeScope();
            var batch = testTokens.narrow(0, start, Math.Min(batchSize, testTokens.shape[0] - start));
            var predicted = Logits(batch).argmax(1).data<long>().ToArray();
            for (int i = 0; i < predicted.Length; i++)
                if (predicted[i] == testLabels[start + i]) correct++;
        }
        return (double)correct / testLabels.Length;
    }
}
