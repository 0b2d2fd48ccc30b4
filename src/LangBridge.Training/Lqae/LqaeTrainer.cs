using System.Diagnostics;
using System.Text.Json;
using LangBridge.Data;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Progress;
using LangBridge.Training.Recipes;
using TorchSharp;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>Where a training run writes, and whether it resumes.</summary>
/// <param name="CheckpointPath">The run's checkpoint (rewritten atomically every <c>checkpointEvery</c> steps and at the end).</param>
/// <param name="MetricsLogPath">JSON-lines log, one line per logged step (appended on resume).</param>
/// <param name="Resume">Continue from <paramref name="CheckpointPath"/> if it exists.</param>
/// <param name="StopAfterStep">Stop (as if killed) right after this step's checkpoint; for tests of resuming.</param>
public sealed record TrainerOptions(string CheckpointPath, string MetricsLogPath, bool Resume = false, int? StopAfterStep = null);

/// <summary>Outcome of <see cref="LqaeTrainer.Train"/>.</summary>
public sealed record TrainingResult(int StepsCompleted, int StartStep, double Seconds, double ImagesPerSecond,
    IReadOnlyDictionary<string, double> FinalLosses);

/// <summary>
/// Trains an <see cref="LqaeModel"/> on an <see cref="ImageDataset"/>. Reproducible: batch order and
/// masking come from generators seeded by (seed, epoch) and (seed, step), so a run resumed from a
/// checkpoint ends with the same weights as an uninterrupted one.
/// </summary>
public sealed class LqaeTrainer(LqaeRecipe recipe, LqaeModel model, ImageDataset train)
{
    public TrainingResult Train(TrainerOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        var t = recipe.Training;
        if (t.Threads > 0) set_num_threads(t.Threads);
        var images = ImageTensors.Normalised(train, recipe.Data);             // (N, C, H, W)
        long n = images.shape[0];
        if (n < t.BatchSize) throw new ArgumentException($"{n} training images are fewer than one batch of {t.BatchSize}");

        var optimizer = optim.AdamW(model.trainable_parameters(), t.LearningRate, weight_decay: t.WeightDecay);
        // The coarse words' invariance objective, when the recipe asks for it: a second, random view of each image.
        var assignmentSection = recipe.GlobalTokens?.Assignment;
        var assignmentLoss = assignmentSection is { } s ? new Losses.SwappedAssignmentLoss(s.Temperature, s.Epsilon, s.Iterations) : null;
        var augmentation = assignmentSection is { } v ? new ImageAugmentation(v.Shift, v.Scale, v.Flip) : null;
        var background = -recipe.Data.Mean / recipe.Data.Std;                  // a black pixel, normalised
        int startStep = 0;
        if (options.Resume && File.Exists(options.CheckpointPath))
        {
            startStep = CheckpointStore.Load(options.CheckpointPath, model, optimizer, "lqae", recipe.Sha256).Step;
            progress?.Report(new TrainingProgress(startStep, t.Steps, new Dictionary<string, double>(), 0, TimeSpan.Zero,
                $"resumed from {options.CheckpointPath} at step {startStep}"));
        }
        else if (!options.Resume && File.Exists(options.MetricsLogPath))
        {
            File.Delete(options.MetricsLogPath);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.MetricsLogPath))!);
        using var log = new StreamWriter(options.MetricsLogPath, append: true);
        var stepsPerEpoch = (int)(n / t.BatchSize);
        Tensor? epochOrder = null;
        int orderEpoch = -1;
        var clock = Stopwatch.StartNew();
        IReadOnlyDictionary<string, double> losses = new Dictionary<string, double>();
        int step = startStep;
        model.train();
        while (step < t.Steps)
        {
            cancellation.ThrowIfCancellationRequested();
            int epoch = step / stepsPerEpoch;
            if (epoch != orderEpoch)
            {
                epochOrder?.Dispose();
                epochOrder = randperm(n, generator: new Generator((ulong)(recipe.Seed * 7919L + epoch)));
                orderEpoch = epoch;
            }

            // The optimiser step stays outside the step's dispose scope: AdamW creates its moment
            // buffers lazily on the first step, and a scope would free them at its end.
            foreach (var group in optimizer.ParamGroups) group.LearningRate = LearningRate(step);
            optimizer.zero_grad();
            bool report = (step + 1) % t.LogEvery == 0 || step + 1 == t.Steps || step == startStep;
            using (var scope = NewDisposeScope())
            {
                var index = epochOrder!.narrow(0, (long)(step % stepsPerEpoch) * t.BatchSize, t.BatchSize);
                var batch = images.index_select(0, index);                  // (B, C, H, W)
                var maskGenerator = new Generator((ulong)(recipe.Seed * 104729L + step));
                var mask = LqaeModel.RandomMask(batch.shape[0], recipe.GridSize * recipe.GridSize, recipe.Masking.Ratio, maskGenerator); // (B, h·w) bool
                var output = model.Forward(batch, mask);
                var reconstruction = nn.functional.mse_loss(output.Reconstruction, batch);
                var loss = reconstruction + recipe.Quantizer.Commitment * output.Commitment;
                Tensor? assignment = null;
                if (assignmentLoss is not null)
                {
                    var view = augmentation!.Apply(batch, background, new Generator((ulong)(recipe.Seed * 15485863L + step))); // (B, C, H, W)
                    assignment = assignmentLoss.Compute(model.CoarseScores(output.Latents), model.CoarseScores(model.Latents(view)));
                    loss = loss + assignmentSection!.Weight * assignment;
                }
                loss.backward();
                if (report)
                {
                    var logged = new Dictionary<string, double>
                    {
                        ["loss"] = loss.item<float>(),
                        ["reconstruction"] = reconstruction.item<float>(),
                        ["commitment"] = output.Commitment.item<float>(),
                    };
                    if (assignment is not null) logged["assignment"] = assignment.item<float>();
                    losses = logged;
                }
            }
            optimizer.step();
            step++;

            if (report)
            {
                if (losses.Values.Any(v => !double.IsFinite(v)))
                    throw new InvalidOperationException($"training diverged at step {step}: {string.Join(", ", losses.Select(kv => $"{kv.Key} {kv.Value}"))}");
                var rate = (step - startStep) * (double)t.BatchSize / clock.Elapsed.TotalSeconds;
                var eta = TimeSpan.FromSeconds((t.Steps - step) * t.BatchSize / Math.Max(rate, 1e-9));
                log.WriteLine(JsonSerializer.Serialize(new { step, lr = LearningRate(step - 1), images_per_second = rate, losses }));
                log.Flush();
                progress?.Report(new TrainingProgress(step, t.Steps, losses, rate, eta));
            }

            if (step % t.CheckpointEvery == 0 || step == t.Steps)
            {
                CheckpointStore.Save(options.CheckpointPath, model, optimizer, new CheckpointHeader(CheckpointStore.FormatVersion, "lqae", recipe.Sha256, step, true));
                if (options.StopAfterStep is { } stop && step >= stop) break;
            }
        }
        epochOrder?.Dispose();
        model.eval();
        var seconds = clock.Elapsed.TotalSeconds;
        return new TrainingResult(step, startStep, seconds, (step - startStep) * (double)t.BatchSize / Math.Max(seconds, 1e-9), losses);
    }

    /// <summary>Linear warm-up, then cosine decay to 10% of the peak rate.</summary>
    private double LearningRate(int step)
    {
        var t = recipe.Training;
        if (step < t.WarmupSteps) return t.LearningRate * (step + 1) / t.WarmupSteps;
        double progress = (double)(step - t.WarmupSteps) / Math.Max(1, t.Steps - t.WarmupSteps);
        return t.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
