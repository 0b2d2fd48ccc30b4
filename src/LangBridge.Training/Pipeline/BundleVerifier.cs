using System.Text.Json;
using System.Text.Json.Serialization;
using LangBridge.Onnx.Parity;
using LangBridge.Runtime;
using LangBridge.Training.Kinds;
using static TorchSharp.torch;

namespace LangBridge.Training.Pipeline;

/// <summary>Parity of a whole bundle against the TorchSharp model it was exported from (<c>parity.json</c>).</summary>
public sealed record BundleParityReport
{
    public required string Model { get; init; }
    public required string Kind { get; init; }
    public required bool Passed { get; init; }
    /// <summary>Held-out examples the cases were built from.</summary>
    public required int Examples { get; init; }
    public required IReadOnlyDictionary<string, ParityReport> Graphs { get; init; }
    public required IReadOnlyDictionary<string, CheckResult> Checks { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>
/// Checks any kind's exported bundle: each graph against its TorchSharp module on the plan's cases under
/// ONNX Runtime with optimisations off and fully on, then the kind's end-to-end checks.
/// </summary>
public static class BundleVerifier
{
    /// <summary>The parity report's file in the bundle folder: a report, outside the sealed set of files, so verify can rewrite it.</summary>
    public const string ReportFile = BundleManifest.ParityReportFile;

    /// <summary>Writes <paramref name="report"/> atomically as the bundle's <see cref="ReportFile"/>; returns its path.</summary>
    public static string WriteReport(string bundleFolder, BundleParityReport report)
    {
        var path = Path.Combine(bundleFolder, ReportFile);
        LangBridge.Data.AtomicFile.WriteAllText(path, report.ToJson());
        return path;
    }

    public static BundleParityReport Verify(KindModel model, BundleExport export, VerificationPlan plan, Action<string>? log = null)
    {
        model.Module.eval();
        using var noGrad = no_grad();
        var graphs = new Dictionary<string, ParityReport>(StringComparer.Ordinal);
        foreach (var definition in model.DefineBundle().Graphs)
        {
            if (!plan.Cases.TryGetValue(definition.Role, out var cases) || cases.Count == 0)
                throw new InvalidOperationException($"the verification plan of kind '{model.Recipe.Kind}' has no parity cases for graph '{definition.Role}'");
            log?.Invoke($"{definition.Role} parity on {cases.Count} cases...");
            graphs[definition.Role] = ParityHarness.Verify(definition.Module, export.Graph(definition.Role), cases,
                plan.Options.GetValueOrDefault(definition.Role));
        }
        var checks = new Dictionary<string, CheckResult>(StringComparer.Ordinal);
        foreach (var check in plan.Checks)
        {
            log?.Invoke($"{check.Name}...");
            checks[check.Name] = check.Run(export, log);
        }
        return new BundleParityReport
        {
            Model = model.Recipe.Name,
            Kind = model.Recipe.Kind,
            Passed = graphs.Values.All(g => g.Passed) && checks.Values.All(c => c.Passed),
            Examples = plan.Examples,
            Graphs = graphs,
            Checks = checks,
        };
    }
}
