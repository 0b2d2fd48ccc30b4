namespace LangBridge.Training.Golden;

/// <summary>
/// A reference model's golden outputs as a kind computes them, with how they are compared: int64 tensors
/// exactly, float32 tensors within <see cref="Atol"/> + <see cref="Rtol"/>·|expected|, and the provenance
/// keys of the metadata (checkpoint and fixture hashes, opset) that must not change unnoticed.
/// </summary>
public sealed record GoldenCase(string FileName, GoldenOutputs Outputs, double Atol, double Rtol, IReadOnlyList<string> ProvenanceKeys)
{
    /// <summary>What changed from <paramref name="expected"/> to these outputs, in words (empty when identical within tolerance).</summary>
    public IReadOnlyList<string> Compare(GoldenOutputs expected)
    {
        var changes = new List<string>();
        var actualNames = Outputs.Tensors.Select(t => t.Name).ToHashSet();
        foreach (var missing in expected.Tensors.Where(t => !actualNames.Contains(t.Name))) changes.Add($"{missing.Name}: no longer produced");
        foreach (var actual in Outputs.Tensors)
        {
            var before = expected.Tensors.FirstOrDefault(t => t.Name == actual.Name);
            if (before is null) { changes.Add($"{actual.Name}: new output"); continue; }
            if (!before.Shape.SequenceEqual(actual.Shape))
            {
                changes.Add($"{actual.Name}: shape [{string.Join(", ", before.Shape)}] -> [{string.Join(", ", actual.Shape)}]");
                continue;
            }
            if (before.Int64 is not null && actual.Int64 is not null) CompareExact(before, actual, changes);
            else if (before.Float32 is not null && actual.Float32 is not null) CompareClose(before, actual, changes);
            else changes.Add($"{actual.Name}: element type changed");
        }
        foreach (var key in ProvenanceKeys)
            if (expected.Metadata.GetValueOrDefault(key) != Outputs.Metadata.GetValueOrDefault(key))
                changes.Add($"{key}: {expected.Metadata.GetValueOrDefault(key)} -> {Outputs.Metadata.GetValueOrDefault(key)}");
        return changes;
    }

    private static void CompareExact(GoldenTensor expected, GoldenTensor actual, List<string> changes)
    {
        long rowSize = expected.Shape.Length > 1 ? expected.Shape.Skip(1).Aggregate(1L, (a, b) => a * b) : 1;
        var changed = Enumerable.Range(0, expected.Int64!.Length).Where(i => expected.Int64[i] != actual.Int64![i]).ToArray();
        if (changed.Length == 0) return;
        var rows = changed.Select(i => i / rowSize).Distinct();
        changes.Add($"{actual.Name}: {changed.Length} of {expected.Int64.Length} values changed, in rows {string.Join(", ", rows)}");
    }

    private void CompareClose(GoldenTensor expected, GoldenTensor actual, List<string> changes)
    {
        double maxAbs = 0;
        long outside = 0;
        for (int i = 0; i < expected.Float32!.Length; i++)
        {
            double d = Math.Abs(expected.Float32[i] - actual.Float32![i]);
            maxAbs = Math.Max(maxAbs, d);
            if (!(d <= Atol + Rtol * Math.Abs(expected.Float32[i]))) outside++;
        }
        if (outside > 0) changes.Add($"{actual.Name}: {outside} values outside atol {Atol} + rtol {Rtol} (max abs diff {maxAbs:g3})");
    }
}
