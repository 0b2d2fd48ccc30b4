using System.Diagnostics;
using LangBridge.Training.Limber;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Vlap;

/// <summary>Median wall times (seconds) of one training step's loss and backward pass, VLAP's and LiMBeR's, on the same batches.</summary>
/// <param name="Vlap">VLAP's step: captioning and assignment terms of every encoder.</param>
/// <param name="Limber">LiMBeR's step: the captioning terms alone.</param>
public sealed record VlapStepTimes(double Vlap, double Limber, int Steps, int BatchSize)
{
    /// <summary>The share of VLAP's step its assignment part takes: (VLAP − LiMBeR) / VLAP.</summary>
    public double AssignmentShare => (Vlap - Limber) / Vlap;
}

/// <summary>
/// Times the training step with and without VLAP's assignment term, interleaved so both see the same machine state, after
/// warm-up steps (a long training reads almost every caption's feature from memory, so the steady state is what counts).
/// </summary>
public static class VlapStepCost
{
    public static VlapStepTimes Measure(VlapKindModel model, int steps)
    {
        using var vlap = new VlapTrainingTask(model);
        using var limber = new LimberTrainingTask(model.Shared);
        int batch = model.Shared.LimberRecipe.Training.BatchSize;
        var phase = model.TrainingPlan.Phases[0];
        var random = new Random(1);
        double Once(ITrainingTask task, long[] indices)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            using var idx = tensor(indices, dtype: ScalarType.Int64);
            task.Loss(phase, 0, idx)["loss"].backward();
            foreach (var p in model.Module.parameters()) p.grad?.zero_();
            return clock.Elapsed.TotalSeconds;
        }
        model.Module.train();
        var v = new List<double>();
        var l = new List<double>();
        // Warm-up steps, untimed: the allocator settles, and VLAP's remembered caption features fill as in training.
        const int warmUp = 30;
        for (int s = -warmUp; s < steps; s++)
        {
            var indices = Enumerable.Range(0, batch).Select(_ => (long)random.Next(model.Shared.Train.Count)).ToArray();
            double tv = Once(vlap, indices), tl = Once(limber, indices);
            if (s < 0) continue;
            v.Add(tv);
            l.Add(tl);
        }
        model.Module.eval();
        static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        return new VlapStepTimes(Median(v), Median(l), steps, batch);
    }
}
