using System.Diagnostics;
using System.Text.Json;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Progress;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Training.Pipeline;

/// <summary>Where a training run writes, and whether it resumes.</summary>
/// <param name="CheckpointPath">The run's checkpoint (rewritten atomically every <c>checkpointEvery</c> steps and at the end).</param>
/// <param name="MetricsLogPath">JSON-lines log, one line per logged step (appended on resume).</param>
/// <param name="Resume">Continue from <paramref name="CheckpointPath"/> if it exists.</param>
/// <param name="StopAfterStep">Stop (as if killed) right after this step's checkpoint; for tests of resuming.</param>
public sealed record TrainerOptions(string CheckpointPath, string MetricsLogPath, bool Resume = false, int? StopAfterStep = null);

/// <summary>Outcome of <see cref="Trainer.Train"/>.</summary>
public sealed record TrainingResult(int StepsCompleted, int StartStep, double Seconds, double ImagesPerSecond,
    IReadOnlyDictionary<string, double> FinalLosses);

/// <summary>
/// Trains any kind's model: AdamW over the task's parameter groups, the plan's phases with warm-up and
/// cosine decay, atomic checkpoints, resume, a divergence check and progress with ETA. Reproducible: the
/// batch order comes from a generator seeded by (seed, epoch) and the task's own sampling from (seed, step),
/// so a run resumed from a checkpoint ends with the same weights as an uninterrupted one.
/// </summary>
public sealed class Trainer(TrainingPlan plan, int seed, nn.Module module, ITrainingTask task, CheckpointIdentity identity)
{
    public TrainingResult Train(TrainerOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        long n = task.ExampleCount;
        if (n < plan.BatchSize) throw new TrainingException($"{n} training examples are fewer than one batch of {plan.BatchSize} (training.batchSize)");
        int total = plan.TotalSteps;

        var groups = task.ParameterGroups;
        var optimizer = optim.AdamW(groups.Select(g => new AdamW.ParamGroup { Parameters = g.Parameters }).ToList(),
            plan.LearningRate, weight_decay: plan.WeightDecay);
        var optimizerGroups = optimizer.ParamGroups.ToArray();
        int startStep = 0;
        if (options.Resume && File.Exists(options.CheckpointPath))
        {
            startStep = CheckpointStore.Load(options.CheckpointPath, module, optimizer, identity).Step;
            progress?.Report(new TrainingProgress(startStep, total, new Dictionary<string, double>(), 0, TimeSpan.Zero,
                $"resumed from {options.CheckpointPath} at step {startStep}"));
        }
        TrimLog(options.MetricsLogPath, startStep);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.MetricsLogPath))!);
        using var log = new StreamWriter(options.MetricsLogPath, append: true);
        var stepsPerEpoch = (int)(n / plan.BatchSize);
        Tensor? epochOrder = null;
        int orderEpoch = -1;
        var clock = Stopwatch.StartNew();
        IReadOnlyDictionary<string, double> losses = new Dictionary<string, double>();
        int step = startStep;
        module.train();
        while (step < total)
        {
            cancellation.ThrowIfCancellationRequested();
            int epoch = step / stepsPerEpoch;
            if (epoch != orderEpoch)
            {
                epochOrder?.Dispose();
                epochOrder = randperm(n, generator: new Generator((ulong)(seed * 7919L + epoch)));
                orderEpoch = epoch;
            }

            var (phase, _) = plan.PhaseAt(step);
            var rate = plan.LearningRateAt(step);
            for (int g = 0; g < groups.Count; g++)
                optimizerGroups[g].LearningRate = phase.TrainedGroups.Contains(groups[g].Name) ? rate : 0;
            optimizer.zero_grad();
            bool report = (step + 1) % plan.LogEvery == 0 || step + 1 == total || step == startStep;
            // The optimiser step stays outside the step's dispose scope: AdamW creates its moment
            // buffers lazily on the first step, and a scope would free them at its end.
            using (var scope = NewDisposeScope())
            {
                var index = epochOrder!.narrow(0, (long)(step % stepsPerEpoch) * plan.BatchSize, plan.BatchSize);   // (B)
                var terms = task.Loss(phase, step, index);
                terms["loss"].backward();
                if (report) losses = terms.ToDictionary(kv => kv.Key, kv => (double)kv.Value.item<float>());
            }
            optimizer.step();
            step++;

            if (report)
            {
                if (losses.Values.Any(v => !double.IsFinite(v)))
                    throw new TrainingException($"training diverged at step {step} ({phase.Name}): {string.Join(", ", losses.Select(kv => $"{kv.Key} {kv.Value}"))}; " +
                                                "lower training.learningRate or resume from the last checkpoint");
                var examplesPerSecond = (step - startStep) * (double)plan.BatchSize / clock.Elapsed.TotalSeconds;
                var eta = TimeSpan.FromSeconds((total - step) * plan.BatchSize / Math.Max(examplesPerSecond, 1e-9));
                log.WriteLine(JsonSerializer.Serialize(new { step, lr = rate, images_per_second = examplesPerSecond, losses }));
                log.Flush();
                progress?.Report(new TrainingProgress(step, total, losses, examplesPerSecond, eta));
            }

            if (step % plan.CheckpointEvery == 0 || step == total)
            {
                CheckpointStore.Save(options.CheckpointPath, module, optimizer, identity.Header(step, hasOptimizer: true));
                if (options.StopAfterStep is { } stop && step >= stop) break;
            }
        }
        epochOrder?.Dispose();
        module.eval();
        var seconds = clock.Elapsed.TotalSeconds;
        return new TrainingResult(step, startStep, seconds, (step - startStep) * (double)plan.BatchSize / Math.Max(seconds, 1e-9), losses);
    }

    /// <summary>
    /// Keeps the log lines of the steps the run starts after (none for a fresh run): lines written after the
    /// last checkpoint of an interrupted run describe steps that are about to be trained again.
    /// </summary>
    private static void TrimLog(string path, int startStep)
    {
        if (!File.Exists(path)) return;
        var kept = startStep == 0 ? [] : File.ReadLines(path).Where(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("step").GetInt32() <= startStep;
        }).ToArray();
        if (kept.Length == 0) File.Delete(path);
        else LangBridge.Data.AtomicFile.WriteAllText(path, string.Concat(kept.Select(l => l + "\n")));
    }
}
