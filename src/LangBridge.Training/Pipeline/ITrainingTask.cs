using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Training.Pipeline;

/// <summary>Parameters that share a learning rate in each phase, under a name phases refer to.</summary>
public sealed record ParameterGroup(string Name, IReadOnlyList<Parameter> Parameters);

/// <summary>
/// What the generic <see cref="Trainer"/> needs from a kind: the training examples (by index), the
/// parameter groups, and the loss of a batch. The trainer owns the batch order, the optimiser, the
/// schedule, checkpoints and progress.
/// </summary>
public interface ITrainingTask : IDisposable
{
    /// <summary>Training examples available; batches are drawn from <c>0 .. ExampleCount − 1</c>.</summary>
    long ExampleCount { get; }

    /// <summary>The trainable parameters in groups, in a fixed order (the optimiser's state follows it).</summary>
    IReadOnlyList<ParameterGroup> ParameterGroups { get; }

    /// <summary>
    /// The loss terms of one batch: <paramref name="indices"/> (B) int64 example indices, at global
    /// <paramref name="step"/> of <paramref name="phase"/>. Must contain <c>"loss"</c>, the scalar the trainer
    /// back-propagates; the other terms are reported. Tensors live in the caller's dispose scope.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Loss(TrainingPhase phase, int step, Tensor indices);
}
