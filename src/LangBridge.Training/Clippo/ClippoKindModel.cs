using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LangBridge.Data;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Parity;
using LangBridge.Runtime;
using LangBridge.Training.Captions;
using LangBridge.Training.Golden;
using LangBridge.Training.Kinds;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Training.Clippo;

/// <summary>A <see cref="ClippoModel"/> with its text path (renderer or GloVe), captions and font, as the pipeline drives it.</summary>
public sealed class ClippoKindModel : KindModel
{
    public const string ImageRole = "image_encoder", TextRole = "text_encoder";
    public const string FontFile = "font.hex", RendererFile = "text_renderer.json";
    /// <summary>The evaluation's picture: top captions for a few images, top images for a few captions.</summary>
    public const string RetrievalSheetFile = "retrieval.png";
    /// <summary>What the bundle's font covers: Latin (with Latin-1 and Extended-A/B), Greek, Cyrillic, general punctuation.</summary>
    public static readonly (int First, int Last)[] FontRanges = [(0x20, 0x24F), (0x370, 0x4FF), (0x2000, 0x206F), (0xFFFD, 0xFFFD)];

    private readonly ClippoRecipe recipe;
    private readonly Dictionary<string, string> inputHashes;

    internal ClippoKindModel(ClippoRecipe recipe, ClippoModel model, ClippoText text, TextRenderer renderer, CaptionBuilder captions)
    {
        this.recipe = recipe;
        Model = model;
        Text = text;
        Renderer = text.Renderer;
        Captions = captions;
        FontSubset = renderer.Font.Subset(FontRanges.SelectMany(r => Enumerable.Range(r.First, r.Last - r.First + 1))).ToHex();
        inputHashes = new() { ["font"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(FontSubset))) };
    }

    /// <summary>
    /// A pixels-only model with fresh weights around a given font and class names, without the data cache
    /// (WordNet supplies no synonyms here): for tests and tools that bring their own glyphs.
    /// </summary>
    public static ClippoKindModel Create(ClippoRecipe recipe, UnifontFont font, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        if (recipe.Text.Tower != TextTower.Pixels) throw new ArgumentException("Only the pixels text tower can be built from a font alone.", nameof(recipe));
        var renderer = new TextRenderer(font, new TextRenderOptions { Size = recipe.Canvas, Scale = recipe.Text.Scale });
        var classes = classNames.Select(n => new ClassWords(n, [], [], "")).ToArray();
        return new ClippoKindModel(recipe, new ClippoModel(recipe), ClippoText.Pixels(renderer), renderer, new CaptionBuilder(classes));
    }

    public override IModelRecipe Recipe => recipe;
    public ClippoRecipe ClippoRecipe => recipe;
    public ClippoModel Model { get; }
    internal ClippoText Text { get; }
    /// <summary>The renderer the text encoder reads (null for the GloVe baseline).</summary>
    public TextRenderer? Renderer { get; }
    public CaptionBuilder Captions { get; }
    /// <summary>The glyphs the bundle ships (<see cref="FontRanges"/>), as <c>.hex</c> text.</summary>
    public string FontSubset { get; }
    public override nn.Module Module => Model;
    public override IReadOnlyDictionary<string, string> InputHashes => inputHashes;

    public override TrainingPlan TrainingPlan => TrainingPlan.From(recipe.Training,
        new TrainingPhase("main", recipe.Training.Steps, recipe.Training.WarmupSteps, new HashSet<string> { ClippoTrainingTask.Group }));

    public override ITrainingTask CreateTrainingTask(KindContext context)
    {
        var train = FashionMnist.Load(context.RequireData("training"), DataSplit.Train);
        if (recipe.Data.TrainLimit > 0 && recipe.Data.TrainLimit < train.Count) train = train.Slice(0, recipe.Data.TrainLimit);
        context.Report($"{train.Count:N0} image-caption pairs a epoch, text tower {recipe.Text.Tower.ToString().ToLowerInvariant()}, canvas {recipe.Canvas}×{recipe.Canvas}");
        return CreateTrainingTask(train);
    }

    /// <summary>The training task on images already loaded.</summary>
    public ITrainingTask CreateTrainingTask(ImageDataset train) => new ClippoTrainingTask(Model, Text, Captions, train);

    /// <summary>The trained softmax temperature, recorded in the bundle for zero-shot scores.</summary>
    public float LearnedTemperature
    {
        get
        {
            using var noGrad = no_grad();
            using var t = Model.Temperature;
            return t.item<float>();
        }
    }

    /// <summary>
    /// One caption in a held-out template for each of the first <paramref name="count"/> images (default all), its
    /// attributes measured against the whole of <paramref name="images"/>.
    /// </summary>
    public string[] HeldOutCaptions(ImageDataset images, int? count = null)
    {
        var meter = AttributeMeter.Fit(images.Pixels, images.Count, images.ImageSize);
        return Enumerable.Range(0, count ?? images.Count)
            .Select(i => Captions.Caption(images.Labels[i], meter.Attributes(images.Image(i)), CaptionSplit.HeldOut, i)).ToArray();
    }

    /// <summary>The image encoder's input for <paramref name="images"/>: (N, 1, H, W), normalised.</summary>
    public static Tensor ImageInputs(ImageDataset images) => ClippoImages.Normalised(images);

    /// <summary>The text encoder's input for <paramref name="captions"/>: (B, 1, S, S) rendered canvases, or (B, D) mean GloVe vectors.</summary>
    public Tensor TextInputs(IReadOnlyList<string> captions) => Text.Inputs(captions);

    public override BundleDefinition DefineBundle()
    {
        int s = recipe.Data.ImageSize, c = recipe.Canvas, e = recipe.Encoder.Embedding;
        var image = new GraphDefinition(ImageRole, Model.ImageEncoder, [new(OnnxInputSpec.Batched("image", 1, s, s), TensorMeaning.Image)],
            [new("embeddings", TensorMeaning.Embeddings)]);
        var text = Model.TextProjection is { } projection
            ? new GraphDefinition(TextRole, projection, [new(OnnxInputSpec.Batched("text_features", Model.TextFeatures), TensorMeaning.Features)],
                [new("embeddings", TensorMeaning.Embeddings)])
            : new GraphDefinition(TextRole, Model.Encoder, [new(OnnxInputSpec.Batched("rendered_text", 1, c, c), "rendered_text")],
                [new("embeddings", TensorMeaning.Embeddings)]);
        var renderer = JsonSerializer.SerializeToUtf8Bytes(new
        {
            size = c, scale = recipe.Text.Scale, lower_case = true, background = 127, foreground = 0, mean = ClippoText.Mean, std = ClippoText.Std,
            font = FontFile, embedding_dim = e, temperature = LearnedTemperature,
        }, new JsonSerializerOptions { WriteIndented = true });
        return new BundleDefinition([image, text],
            Model.TextProjection is null
                ? [new BundleAsset("font", FontFile, AssetType.Font, Encoding.ASCII.GetBytes(FontSubset)), new BundleAsset("text_renderer", RendererFile, "text_renderer", renderer)]
                : [],
            new ImageSpec { Channels = 1, Height = s, Width = s, Mean = [ClippoText.Mean], Std = [ClippoText.Std] });
    }

    public override VerificationPlan PlanVerification(KindContext context, int examples)
    {
        var test = FashionMnist.Load(context.RequireData("verification"), DataSplit.Test);
        return PlanVerification(test.Slice(0, Math.Min(examples, test.Count)), batchSize: 32);
    }

    /// <summary>Parity cases for both encoders on <paramref name="images"/> and their held-out captions, and the zero-shot check.</summary>
    public VerificationPlan PlanVerification(ImageDataset images, int batchSize)
    {
        var captions = HeldOutCaptions(images);
        var all = ClippoImages.Normalised(images);                                         // (N, 1, H, W)
        var imageCases = new List<ParityCase>();
        var textCases = new List<ParityCase>();
        var sizes = new List<int> { 1, 7 };
        for (int start = 8; start < images.Count; start += batchSize) sizes.Add(Math.Min(batchSize, images.Count - start));
        int offset = 0;
        foreach (var size in sizes)
        {
            if (offset >= images.Count) break;
            int n = Math.Min(size, images.Count - offset);
            imageCases.Add(new ParityCase($"images[{offset}..{offset + n})", all.narrow(0, offset, n)));
            textCases.Add(new ParityCase($"captions[{offset}..{offset + n})", Text.Inputs(captions[offset..(offset + n)])));
            offset += n;
        }
        var prompts = Enumerable.Range(0, Captions.Classes.Count).Select(c => Captions.ClassPrompts(c)).ToArray();
        return new VerificationPlan(images.Count,
            new Dictionary<string, IReadOnlyList<ParityCase>> { [ImageRole] = imageCases, [TextRole] = textCases },
            [new ClippoZeroShotCheck(this, imageCases, prompts)]);
    }

    /// <summary>Golden embeddings of the committed fixture images and <see cref="ClippoGolden.FixtureTexts"/> (pixels tower only).</summary>
    public override GoldenCase Golden(KindContext context, string goldenDir, string checkpointPath)
    {
        if (Model.TextProjection is not null) throw new NotSupportedException("golden outputs are defined for the pixels-only CLIPPO model");
        if (!File.Exists(Path.Combine(goldenDir, LqaeGolden.FixtureImages)))
            LqaeGolden.WriteFixtures(goldenDir, context.RequireData("writing the golden fixtures"));
        return ClippoGolden.Compute(this, goldenDir, checkpointPath);
    }

    public override EvaluationReport Evaluate(KindContext context, string reportDir, TrainingResult? training)
    {
        var data = context.RequireData("evaluation");
        Directory.CreateDirectory(reportDir);
        var sheet = Path.Combine(reportDir, RetrievalSheetFile);
        var metrics = ClippoEvaluator.Evaluate(this, data, training, context.Log, sheet);
        if (recipe.Evaluation.Baseline is { } baseline && TwoTower(context, baseline) is { } twoTower)
        {
            using (twoTower) metrics = metrics with { TwoTower = ClippoEvaluator.Evaluate(twoTower, data, null, context.Log) };
        }
        return new EvaluationReport(metrics, [sheet]);
    }

    /// <summary>The two-tower baseline's trained model, when its recipe has been trained; else null (reported).</summary>
    private static ClippoKindModel? TwoTower(KindContext context, string recipePath)
    {
        var baseline = KindRegistry.Default.LoadRecipe(context.Resolve(recipePath));
        var checkpoint = context.Run(baseline.Name).Checkpoint;
        if (!File.Exists(checkpoint))
        {
            context.Report($"two-tower baseline {baseline.Name} is not trained yet ({checkpoint}): left out of the report");
            return null;
        }
        var model = (ClippoKindModel)KindRegistry.Default.KindOf(baseline).Create(baseline, context);
        model.LoadWeights(checkpoint);
        return model;
    }
}

/// <summary>
/// End to end: ONNX Runtime's image and text encoders classify the verification images zero-shot (held-out
/// prompts) exactly as the TorchSharp model does; a flip between two classes scoring within the near-tie gap
/// is reported apart.
/// </summary>
internal sealed class ClippoZeroShotCheck(ClippoKindModel model, IReadOnlyList<ParityCase> images, IReadOnlyList<IReadOnlyList<string>> prompts) : IBundleCheck
{
    public string Name => "zero_shot";

    public CheckResult Run(BundleExport export, Action<string>? log)
    {
        var torch = new ClippoEmbeddings(model.Model, model.Text);
        var torchClasses = torch.Classes(prompts);
        using var imageRunner = new OrtRunner(export.Graph(ClippoKindModel.ImageRole).ToBytes(), Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL, "image_encoder");
        using var textRunner = new OrtRunner(export.Graph(ClippoKindModel.TextRole).ToBytes(), Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL, "text_encoder");
        float[][] Ort(OrtRunner runner, Tensor input)
        {
            var o = runner.Run([input])[0];
            int e = (int)o.Shape[1];
            return Enumerable.Range(0, (int)o.Shape[0]).Select(i => o.Floats![(i * e)..((i + 1) * e)]).ToArray();
        }
        var ortClasses = prompts.Select(p => Ort(textRunner, model.Text.Inputs(p.ToArray()))).Select(rows =>
        {
            var mean = Enumerable.Range(0, rows[0].Length).Select(k => rows.Average(r => r[k])).ToArray();
            var norm = MathF.Sqrt(mean.Sum(x => x * x));
            return mean.Select(x => x / norm).ToArray();
        }).ToArray();
        long total = 0, ties = 0, mismatches = 0;
        foreach (var c in images)
        {
            var ort = Ort(imageRunner, c.Inputs[0]);
            var reference = torch.Images(c.Inputs[0]);
            for (int i = 0; i < ort.Length; i++)
            {
                total++;
                var (expected, gap) = ClippoEmbeddings.Nearest(reference[i], torchClasses);
                if (ClippoEmbeddings.Nearest(ort[i], ortClasses).Best == expected) continue;
                if (gap < ParityTolerance.NearTieGap) ties++; else mismatches++;
            }
        }
        return new CheckResult(mismatches == 0, $"{total - mismatches} of {total} zero-shot predictions match ({ties} near-ties, {mismatches} mismatches)",
            new Dictionary<string, double> { ["images"] = total, ["near_ties"] = ties, ["mismatches"] = mismatches });
    }
}
