using LangBridge.Pretrained.Models;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Language;

/// <summary>Pretraining: each example is one window of the training stream, the loss the next-token cross-entropy over it.</summary>
internal sealed class GptTrainingTask(GptModel model, TokenStream stream) : ITrainingTask
{
    public const string Group = "all";

    public long ExampleCount => stream.WindowCount;

    public IReadOnlyList<ParameterGroup> ParameterGroups { get; } = [new ParameterGroup(Group, model.parameters().Where(p => p.requires_grad).ToList())];

    public IReadOnlyDictionary<string, Tensor> Loss(TrainingPhase phase, int step, Tensor indices)
    {
        var loss = model.NextTokenLoss(GptKindModel.Windows(stream, indices.data<long>().ToArray()));
        return new Dictionary<string, Tensor> { ["loss"] = loss, ["perplexity"] = loss.detach().exp() };
    }

    public void Dispose() { }
}
