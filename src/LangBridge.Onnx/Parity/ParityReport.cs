using System.Text.Json;
using System.Text.Json.Serialization;

namespace LangBridge.Onnx.Parity;

/// <summary>Absolute/relative tolerance: an element passes when |a − b| ≤ atol + rtol·|b| (b = TorchSharp reference).</summary>
public sealed record ParityTolerance(double Atol = 1e-5, double Rtol = 1e-4)
{
    public static ParityTolerance Fp32 { get; } = new();

    /// <summary>
    /// Two scores closer than this make a near-tie: a different id there is reported apart from real
    /// mismatches (fp32 rounding can flip it), everywhere ids are compared.
    /// </summary>
    public const double NearTieGap = 1e-6;
}

/// <summary>Comparison of one output for one case at one ORT optimization level.</summary>
public sealed record OutputParity
{
    public required string Name { get; init; }
    public required string DType { get; init; }
    public required long[] Shape { get; init; }
    public long Elements { get; init; }
    public bool Passed { get; init; }
    /// <summary>Why it failed (shape or type mismatch, tolerance, id mismatch), null when passed.</summary>
    public string? Problem { get; init; }

    // float outputs
    public double? Atol { get; init; }
    public double? Rtol { get; init; }
    public double? MaxAbsError { get; init; }
    public double? MeanAbsError { get; init; }
    public double? MedianAbsError { get; init; }
    public double? MaxRelError { get; init; }
    public double? MeanRelError { get; init; }
    public double? MedianRelError { get; init; }
    /// <summary>Elements outside atol + rtol·|b|.</summary>
    public long? OutOfTolerance { get; init; }
    /// <summary>Elements where either side is NaN (always failures).</summary>
    public long? NaNs { get; init; }

    // integer outputs
    /// <summary>Elements that differ and are not near-ties.</summary>
    public long? Mismatches { get; init; }
    /// <summary>Elements that differ where the reference's top-2 score gap is below the near-tie threshold.</summary>
    public long? NearTies { get; init; }
}

public sealed record ParityRun
{
    public required string Case { get; init; }
    public required string Optimization { get; init; }
    public int Batch { get; init; }
    public bool Passed { get; init; }
    public required IReadOnlyList<OutputParity> Outputs { get; init; }
}

/// <summary>The parity report of one graph: every case × optimization level × output. Serialisable to JSON.</summary>
public sealed record ParityReport
{
    public required string Model { get; init; }
    public int Opset { get; init; }
    public double NearTieGap { get; init; }
    public bool Passed { get; init; }
    public int Runs { get; init; }
    public int FailedRuns { get; init; }
    public long NearTies { get; init; }
    public required IReadOnlyList<ParityRun> Results { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static ParityReport FromJson(string json) => JsonSerializer.Deserialize<ParityReport>(json, Json)!;

    /// <summary>Writes the report as JSON (temporary file moved into place).</summary>
    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(tmp, ToJson());
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>A few lines naming the failing runs/outputs (for exceptions and logs).</summary>
    public string Summary()
    {
        var lines = new List<string> { $"{Model}: {(Passed ? "PASS" : "FAIL")} ({Runs - FailedRuns}/{Runs} runs passed, {NearTies} near-ties)" };
        foreach (var r in Results.Where(r => !r.Passed).Take(10))
            foreach (var o in r.Outputs.Where(o => !o.Passed))
                lines.Add($"  {r.Case} [{r.Optimization}, batch {r.Batch}] {o.Name}: {o.Problem}");
        return string.Join(Environment.NewLine, lines);
    }
}
