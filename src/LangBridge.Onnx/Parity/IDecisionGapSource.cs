using static TorchSharp.torch;

namespace LangBridge.Onnx.Parity;

/// <summary>
/// A module whose first output is a discrete decision (an argmax over scores). It tells the parity
/// harness how close each decision was, so a flipped id between two near-equal scores is reported as a
/// near-tie rather than a mismatch.
/// </summary>
public interface IDecisionGapSource
{
    /// <summary>Gap between the best and second-best score behind each decision of the first output, shaped like that output.</summary>
    Tensor DecisionGap(Tensor input);
}
