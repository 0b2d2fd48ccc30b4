using LangBridge.Onnx.Parity;

namespace LangBridge.Training.Pipeline;

/// <summary>The outcome of one end-to-end check of a bundle, with the numbers it measured (snake_case keys in the report).</summary>
public sealed record CheckResult(bool Passed, string Summary, IReadOnlyDictionary<string, double> Numbers);

/// <summary>A check that runs the exported graphs together (e.g. ONNX Runtime's encoder → quantizer ids against the model's own).</summary>
public interface IBundleCheck
{
    string Name { get; }

    CheckResult Run(BundleExport export, Action<string>? log);
}

/// <summary>
/// How a kind's bundle is verified: parity cases for each graph role (inputs in the graph's input order),
/// optional parity options per role, and end-to-end checks over the whole bundle.
/// </summary>
public sealed record VerificationPlan(int Examples, IReadOnlyDictionary<string, IReadOnlyList<ParityCase>> Cases,
    IReadOnlyList<IBundleCheck> Checks)
{
    public IReadOnlyDictionary<string, ParityOptions> Options { get; init; } = new Dictionary<string, ParityOptions>();
}
