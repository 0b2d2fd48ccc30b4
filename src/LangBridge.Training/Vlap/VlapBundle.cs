using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Parity;
using LangBridge.Runtime;
using LangBridge.Training.Limber;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Vlap;

/// <summary>
/// The VLAP bundle: the LiMBeR captioning bundle of the VLAP bridges (so the runtime's Captioner serves it
/// unchanged) plus <c>words</c>: soft tokens (B, k, D) → cosine scores (B, V) of their mean against every unit
/// word embedding of the LM, which the runtime's ImageToWords ranks.
/// </summary>
public static class VlapBundle
{
    public const string WordsRole = "words";

    public static BundleDefinition Define(VlapKindModel model)
    {
        var shared = model.Shared;
        var captioning = LimberBundle.Define(shared, shared.RequireBundleEncoder());
        var bridge = shared.Model.Bridge(shared.LimberRecipe.Bundle.Encoder);
        var words = new GraphDefinition(WordsRole, model.Words,
            [new(OnnxInputSpec.Batched("soft_tokens", bridge.Tokens, bridge.Width), TensorMeaning.InputsEmbeds)], [new("word_scores", TensorMeaning.WordScores)]);
        return captioning with { Graphs = [.. captioning.Graphs, words] };
    }

    /// <summary>LiMBeR's parity cases and greedy-caption check, plus the words graph on the bridge's soft tokens of the same images.</summary>
    public static VerificationPlan Plan(VlapKindModel model, int examples)
    {
        var shared = model.Shared;
        var plan = LimberBundle.Plan(shared, shared.RequireBundleEncoder(), examples);
        var bridge = shared.Model.Bridge(shared.LimberRecipe.Bundle.Encoder);
        using var noGrad = no_grad();
        var words = plan.Cases[LimberBundle.BridgeRole].Select(c => new ParityCase(c.Name, bridge.call(c.Inputs[0]))).ToArray();
        return plan with { Cases = new Dictionary<string, IReadOnlyList<ParityCase>>(plan.Cases) { [WordsRole] = words } };
    }
}
