using LangBridge.Training.Recipes;

namespace LangBridge.Training.Pipeline;

/// <summary>
/// One phase of training: <see cref="Steps"/> optimiser steps in which only <see cref="TrainedGroups"/>
/// learn (the other parameter groups run at rate 0, so they stay exactly as they are). The rate warms up
/// linearly over <see cref="WarmupSteps"/>, then decays by a cosine to 10 % of the peak over the rest.
/// </summary>
public sealed record TrainingPhase(string Name, int Steps, int WarmupSteps, IReadOnlySet<string> TrainedGroups);

/// <summary>How a model trains: the optimiser's settings and its phases, in order.</summary>
public sealed record TrainingPlan(int BatchSize, float LearningRate, float WeightDecay, int CheckpointEvery, int LogEvery,
    IReadOnlyList<TrainingPhase> Phases)
{
    /// <summary>Every optimiser step of every phase.</summary>
    public int TotalSteps => Phases.Sum(p => p.Steps);

    /// <summary>A plan from a recipe's shared <c>training</c> section and the kind's phases.</summary>
    public static TrainingPlan From(TrainingSection t, params TrainingPhase[] phases) =>
        new(t.BatchSize, t.LearningRate, t.WeightDecay, t.CheckpointEvery, t.LogEvery, phases.Where(p => p.Steps > 0).ToArray());

    /// <summary>The phase that global step <paramref name="step"/> belongs to, and the step's index within it.</summary>
    public (TrainingPhase Phase, int LocalStep) PhaseAt(int step)
    {
        int start = 0;
        foreach (var phase in Phases)
        {
            if (step < start + phase.Steps) return (phase, step - start);
            start += phase.Steps;
        }
        throw new ArgumentOutOfRangeException(nameof(step), step, $"the plan has {TotalSteps} steps");
    }

    /// <summary>The peak rate's schedule at global step <paramref name="step"/> (see <see cref="TrainingPhase"/>).</summary>
    public double LearningRateAt(int step)
    {
        var (phase, local) = PhaseAt(step);
        // float arithmetic for the warm-up, as the schedule has always computed it: resumed runs stay bit-identical.
        if (local < phase.WarmupSteps) return LearningRate * (local + 1) / phase.WarmupSteps;
        var progress = (double)(local - phase.WarmupSteps) / Math.Max(1, phase.Steps - phase.WarmupSteps);
        return LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
