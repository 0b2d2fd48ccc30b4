using static TorchSharp.torch;

namespace LangBridge.Training.Evaluation;

/// <summary>
/// The training loop both linear probes share: shuffled mini-batches for a number of epochs, the learning rate
/// on a cosine decay to zero so a probe ends converged rather than wherever the optimizer's last noisy step left it.
/// </summary>
internal static class CosineProbeLoop
{
    /// <param name="count">Training examples.</param>
    /// <param name="loss">Scalar loss of the examples at indices (B) int64, with gradients.</param>
    public static void Run(optim.Optimizer optimizer, long count, int epochs, int batchSize, double learningRate, Generator generator, Func<Tensor, Tensor> loss)
    {
        long stepsPerEpoch = (count + batchSize - 1) / batchSize, totalSteps = epochs * stepsPerEpoch, taken = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var order = randperm(count, generator: generator);
            for (long start = 0; start < count; start += batchSize)
            {
                foreach (var group in optimizer.ParamGroups)
                    group.LearningRate = learningRate * 0.5 * (1 + Math.Cos(Math.PI * taken++ / totalSteps));
                optimizer.zero_grad();
                using (var step = NewDisposeScope())
                {
                    loss(order.narrow(0, start, Math.Min(batchSize, count - start))).backward();
                }
                // Outside the step scope: the optimizer creates its state on the first step and must keep it.
                optimizer.step();
            }
        }
    }
}
