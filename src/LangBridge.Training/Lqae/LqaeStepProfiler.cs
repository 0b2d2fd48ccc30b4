using System.Diagnostics;
using LangBridge.Data;
using LangBridge.Training.Pipeline;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>Median milliseconds of each part of an LQAE-with-BERT training step, and what the step moved.</summary>
/// <param name="Parts">Part name → median ms per step, in step order (see <see cref="LqaeStepProfiler.Parts"/>).</param>
public sealed record LqaeStepProfile(string Model, int BatchSize, int TokensPerImage, int CodebookSize, int BertLayers, int Steps, int Threads,
    IReadOnlyDictionary<string, double> Parts, double StepMilliseconds, double ImagesPerSecond);

/// <summary>
/// Times the main phase's training step of an LQAE model with a BERT part by part: the forward is cut
/// into pieces at detached copies of the tensors between them (latents, the BERT's input, its hidden
/// states), and the backward is run piece by piece, each receiving the gradient of the piece after it.
/// The gradients are the ones the single backward of <see cref="LqaeTrainingTask"/> computes (a test checks
/// it); only the bookkeeping differs. CPU ops run synchronously, so wall-clock time per piece is its cost.
/// </summary>
public sealed class LqaeStepProfiler
{
    /// <summary>The parts, in the order a step runs them.</summary>
    public static readonly IReadOnlyList<string> Parts =
    [
        "encoder_forward", "search", "bert_forward", "decoder_forward", "masked_token_forward",
        "decoder_backward", "masked_token_backward", "bert_backward", "encoder_backward", "optimizer",
    ];

    private readonly LqaeModel model;
    private readonly LqaeBert bert;
    private readonly Tensor images;                                                     // (N, C, H, W) normalised

    public LqaeStepProfiler(LqaeModel model, ImageDataset train)
    {
        this.model = model;
        bert = model.Bert ?? throw new ArgumentException($"recipe '{model.Recipe.Name}' has no BERT: the profile times the BERT path's step");
        images = ImageTensors.Normalised(train, model.Recipe.Data);
    }

    /// <summary>
    /// Runs <paramref name="warmup"/> + <paramref name="steps"/> steps with AdamW at the recipe's peak rate
    /// (the first steps allocate the optimiser's state and warm the allocator; they are not timed).
    /// </summary>
    public LqaeStepProfile Run(int steps, int warmup, Action<string>? log = null)
    {
        var recipe = model.Recipe;
        var t = recipe.Training;
        if (images.shape[0] < t.BatchSize) throw new TrainingException($"{images.shape[0]} images are fewer than one batch of {t.BatchSize}");
        var optimizer = optim.AdamW(model.trainable_parameters(), t.LearningRate, weight_decay: t.WeightDecay);
        var order = randperm(images.shape[0], generator: new Generator((ulong)recipe.Seed));
        long perEpoch = images.shape[0] / t.BatchSize;
        var samples = Parts.ToDictionary(p => p, _ => new List<double>());
        var totals = new List<double>();
        model.train();
        for (int step = 0; step < warmup + steps; step++)
        {
            var times = new Dictionary<string, double>();
            var clock = Stopwatch.StartNew();
            optimizer.zero_grad();
            using (var scope = NewDisposeScope())
            {
                var index = order.narrow(0, step % perEpoch * t.BatchSize, t.BatchSize);   // (B)
                Backward(images.index_select(0, index), step, times);
            }
            Time(times, "optimizer", () => optimizer.step());
            clock.Stop();
            if (step < warmup) continue;
            foreach (var (part, ms) in times) samples[part].Add(ms);
            totals.Add(clock.Elapsed.TotalMilliseconds);
            log?.Invoke($"step {step - warmup + 1}/{steps}: {clock.Elapsed.TotalMilliseconds:F0} ms ({string.Join(", ", times.Select(kv => $"{kv.Key} {kv.Value:F0}"))})");
        }
        model.eval();
        var stepMs = Median(totals);
        return new LqaeStepProfile(recipe.Name, t.BatchSize, recipe.TokensPerImage, recipe.Codebook.Size, bert.Body.Layers, steps, get_num_threads(),
            Parts.ToDictionary(p => p, p => Median(samples[p])), stepMs, t.BatchSize * 1000.0 / stepMs);
    }

    /// <summary>
    /// One main-phase step's forward and backward on <paramref name="batch"/> (B, C, H, W) with the training
    /// task's mask of <paramref name="step"/>; leaves the gradients in the parameters and the milliseconds of
    /// each part in <paramref name="times"/>. Returns the step's loss terms.
    /// </summary>
    public Dictionary<string, Tensor> Backward(Tensor batch, int step, Dictionary<string, double> times)
    {
        var recipe = model.Recipe;
        var mask = model.TrainingMask(batch.shape[0], LqaeTrainingTask.MaskGenerator(recipe, step));      // (B, N) bool
        var z = Time(times, "encoder_forward", () => model.Latents(batch));                               // (B, N, D)
        var zIn = z.detach().requires_grad_(true);
        var ids = Time(times, "search", () => model.Search(zIn));                                         // (B, N), no gradient
        var commitment = nn.functional.mse_loss(zIn, model.Quantizer.Lookup(ids).detach());
        Tensor vectors = null!, vectorsIn = null!, hidden = null!;
        Time(times, "bert_forward", () =>
        {
            vectors = bert.StraightThrough(zIn, ids, mask);                                                 // (B, N, D)
            vectorsIn = vectors.detach().requires_grad_(true);
            hidden = bert.Read(vectorsIn);                                                                  // (B, N, D)
        });
        var hiddenIn = hidden.detach().requires_grad_(true);
        var reconstruction = Time(times, "decoder_forward", () => nn.functional.mse_loss(model.Decoder.call(hiddenIn), batch));
        var weight = recipe.Bert!.MaskedTokenWeight;
        var maskedToken = Time(times, "masked_token_forward", () => mask is not null && weight > 0 ? model.MaskedTokenLoss(hiddenIn, ids, mask) : null);

        Time(times, "decoder_backward", () => reconstruction.backward());
        Time(times, "masked_token_backward", () => (maskedToken is null ? null : weight * maskedToken)?.backward());
        Time(times, "bert_backward", () => hidden.backward([hiddenIn.grad!]));
        Time(times, "encoder_backward", () =>
        {
            // The straight-through step and the commitment both end at the latents; then the encoder.
            (vectors.mul(vectorsIn.grad!).sum() + recipe.Quantizer.Commitment * commitment).backward();
            z.backward([zIn.grad!]);
        });
        var terms = new Dictionary<string, Tensor> { ["reconstruction"] = reconstruction, ["commitment"] = commitment };
        if (maskedToken is not null) terms["masked_token"] = maskedToken;
        return terms;
    }

    private static T Time<T>(Dictionary<string, double> times, string part, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        var result = work();
        times[part] = times.GetValueOrDefault(part) + clock.Elapsed.TotalMilliseconds;
        return result;
    }

    private static void Time(Dictionary<string, double> times, string part, Action work) =>
        Time(times, part, () => { work(); return 0; });

    private static double Median(List<double> values)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }
}
