using System.Diagnostics;
using System.Text.Json;
using LangBridge.Data;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Progress;
using LangBridge.Training.Recipes;
using TorchSharp;
using TorchSharp.Modules;
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
    // The coarse words' invariance objective, when the recipe asks for it: a second, random view of each image.
    private readonly Losses.SwappedAssignmentLoss? assignmentLoss =
        recipe.GlobalTokens?.Assignment is { } s ? new(s.Temperature, s.Epsilon, s.Iterations) : null;
    private readonly ImageAugmentation? augmentation =
        recipe.GlobalTokens?.Assignment is { } v ? new(v.Shift, v.Scale, v.Flip) : null;

    public TrainingResult Train(TrainerOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        var t = recipe.Training;
        if (t.Threads > 0) set_num_threads(t.Threads);
        var images = ImageTensors.Normalised(train, recipe.Data);             // (N, C, H, W)
        long n = images.shape[0];
        if (n < t.BatchSize) throw new ArgumentException($"{n} training images are fewer than one batch of {t.BatchSize}");

        // Two groups so the decoder-only phase can hold everything else still: a rate of 0 leaves a
        // parameter exactly as it is (no moment-driven drift, no weight decay), whatever its gradient holds.
        var decoderHandles = model.Decoder.parameters().Select(p => p.Handle).ToHashSet();
        var trainable = model.trainable_parameters().ToList();
        var optimizer = optim.AdamW(
            [
                new AdamW.ParamGroup { Parameters = trainable.Where(p => !decoderHandles.Contains(p.Handle)).ToList() },
                new AdamW.ParamGroup { Parameters = trainable.Where(p => decoderHandles.Contains(p.Handle)).ToList() },
            ],
            t.LearningRate, weight_decay: t.WeightDecay);
        var (encoderGroup, decoderGroup) = (optimizer.ParamGroups.First(), optimizer.ParamGroups.Last());
        int startStep = 0;
        if (options.Resume && File.Exists(options.CheckpointPath))
        {
            startStep = CheckpointStore.Load(options.CheckpointPath, model, optimizer, "lqae", recipe.Sha256).Step;
            progress?.Report(new TrainingProgress(startStep, t.TotalSteps, new Dictionary<string, double>(), 0, TimeSpan.Zero,
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
        while (step < t.TotalSteps)
        {
            cancellation.ThrowIfCancellationRequested();
            int epoch = step / stepsPerEpoch;
            if (epoch != orderEpoch)
            {
                epochOrder?.Dispose();
                epochOrder = randperm(n, generator: new Generator((ulong)(recipe.Seed * 7919L + epoch)));
                orderEpoch = epoch;
            }

            bool decoderOnly = step >= t.Steps;
            decoderGroup.LearningRate = LearningRate(step);
            encoderGroup.LearningRate = decoderOnly ? 0 : decoderGroup.LearningRate;
            optimizer.zero_grad();
            bool report = (step + 1) % t.LogEvery == 0 || step + 1 == t.TotalSteps || step == startStep;
            // The optimiser step stays outside the step's dispose scope: AdamW creates its moment
            // buffers lazily on the first step, and a scope would free them at its end.
            using (var scope = NewDisposeScope())
            {
                var index = epochOrder!.narrow(0, (long)(step % stepsPerEpoch) * t.BatchSize, t.BatchSize);
                var batch = images.index_select(0, index);                  // (B, C, H, W)
                var terms = decoderOnly ? DecoderBackward(batch) : Backward(batch, step);
                if (report) losses = terms.ToDictionary(kv => kv.Key, kv => (double)kv.Value.item<float>());
            }
            optimizer.step();
            step++;

            if (report)
            {
                if (losses.Values.Any(v => !double.IsFinite(v)))
                    throw new InvalidOperationException($"training diverged at step {step}: {string.Join(", ", losses.Select(kv => $"{kv.Key} {kv.Value}"))}");
                var rate = (step - startStep) * (double)t.BatchSize / clock.Elapsed.TotalSeconds;
                var eta = TimeSpan.FromSeconds((t.TotalSteps - step) * t.BatchSize / Math.Max(rate, 1e-9));
                log.WriteLine(JsonSerializer.Serialize(new { step, lr = LearningRate(step - 1), images_per_second = rate, losses }));
                log.Flush();
                progress?.Report(new TrainingProgress(step, t.TotalSteps, losses, rate, eta));
            }

            if (step % t.CheckpointEvery == 0 || step == t.TotalSteps)
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

    /// <summary>
    /// Loss of one masked batch (B, C, H, W) through the whole model; back-propagates it and returns the
    /// named terms (scalars, in this step's dispose scope).
    /// </summary>
    private Dictionary<string, Tensor> Backward(Tensor batch, int step)
    {
        var maskGenerator = new Generator((ulong)(recipe.Seed * 104729L + step));
        var mask = LqaeModel.RandomMask(batch.shape[0], recipe.GridSize * recipe.GridSize, recipe.Masking.Ratio, maskGenerator); // (B, h·w) bool
        var output = model.Forward(batch, mask);
        var reconstruction = nn.functional.mse_loss(output.Reconstruction, batch);
        var loss = reconstruction + recipe.Quantizer.Commitment * output.Commitment;
        Tensor? assignment = null;
        if (assignmentLoss is not null)
        {
            var background = -recipe.Data.Mean / recipe.Data.Std;                       // a black pixel, normalised
            var view = augmentation!.Apply(batch, background, new Generator((ulong)(recipe.Seed * 15485863L + step))); // (B, C, H, W)
            assignment = assignmentLoss.Compute(model.CoarseScores(output.Latents), model.CoarseScores(model.Latents(view)));
            loss = loss + recipe.GlobalTokens!.Assignment!.Weight * assignment;
        }
        loss.backward();
        var terms = new Dictionary<string, Tensor> { ["loss"] = loss, ["reconstruction"] = reconstruction, ["commitment"] = output.Commitment };
        if (assignment is not null) terms["assignment"] = assignment;
        return terms;
    }

    /// <summary>
    /// Reconstruction loss of one unmasked batch through the exported path (final words, searched without
    /// gradients, into the token decoder); back-propagates into the decoder alone.
    /// </summary>
    private Dictionary<string, Tensor> DecoderBackward(Tensor batch)
    {
        var reconstruction = nn.functional.mse_loss(model.TokenDecoder.call(model.Encode(batch)), batch);
        reconstruction.backward();
        return new() { ["loss"] = reconstruction, ["reconstruction"] = reconstruction };
    }

    /// <summary>
    /// Linear warm-up, then cosine decay to 10% of the peak rate over <c>steps</c>; the decoder-only steps
    /// that follow decay from the peak again, over their own span.
    /// </summary>
    private double LearningRate(int step)
    {
        var t = recipe.Training;
        if (step >= t.Steps) return Cosine((double)(step - t.Steps) / t.DecoderSteps);
        if (step < t.WarmupSteps) return t.LearningRate * (step + 1) / t.WarmupSteps;
        return Cosine((double)(step - t.WarmupSteps) / Math.Max(1, t.Steps - t.WarmupSteps));

        double Cosine(double progress) => t.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
