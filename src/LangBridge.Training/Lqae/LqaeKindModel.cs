using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using LangBridge.Data;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Parity;
using LangBridge.Runtime;
using LangBridge.Training.Golden;
using LangBridge.Training.Kinds;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>An <see cref="LqaeModel"/> with its codebook's words, as the generic pipeline drives it.</summary>
public sealed class LqaeKindModel : KindModel
{
    /// <summary>Graph roles of an LQAE bundle.</summary>
    public const string EncoderRole = "encoder", QuantizerRole = "quantizer", DecoderRole = "decoder";
    /// <summary>
    /// Further roles with a BERT: token ids (id V = [MASK]) + attention mask → the BERT's hidden states, and
    /// hidden states → image. Such a bundle has no <see cref="DecoderRole"/> graph: the runtime decodes by running
    /// the two (ids → hidden states → image), so the BERT's weights are in the bundle once.
    /// </summary>
    public const string BertRole = "bert", HiddenDecoderRole = "hidden_decoder";
    public const string VocabularyFile = "vocab.txt";
    /// <summary>Parity cases are built in batches of this many examples (plus a single and an odd-sized batch).</summary>
    public const int VerifyBatch = 32;

    private readonly LqaeRecipe recipe;
    private readonly Dictionary<string, string> inputHashes;

    internal LqaeKindModel(LqaeRecipe recipe, LqaeModel model, LanguageCodebook codebook, bool codebookIsReal)
    {
        this.recipe = recipe;
        Model = model;
        Codebook = codebook;
        // Placeholder vectors (a reference model loaded with its vocabulary file only) say nothing about the codebook trained with.
        inputHashes = codebookIsReal ? new() { ["codebook"] = CodebookSha256(codebook) } : new();
        if (model.Bert is { } bert) inputHashes["bert"] = BertSha256(bert);
    }

    /// <summary>A model around a BERT's codebook and frozen BERT (<see cref="LqaeBertSource"/>).</summary>
    public static LqaeKindModel Create(LqaeRecipe recipe, LqaeBertParts parts)
    {
        using var vectors = tensor(parts.Codebook.Vectors).view(parts.Codebook.Count, parts.Codebook.Dimension);
        return new LqaeKindModel(recipe, new LqaeModel(recipe, vectors, parts.Bert), parts.Codebook, codebookIsReal: true);
    }

    /// <summary>Content hash of the frozen BERT a model reads through: its [MASK] row and every weight of its layers, in order.</summary>
    public static string BertSha256(LqaeBert bert)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var t in bert.Body.parameters().Select(p => (Tensor)p).Prepend(bert.MaskVector))
            sha.AppendData(MemoryMarshal.AsBytes(t.detach().contiguous().data<float>().ToArray().AsSpan()));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>A model around an in-memory codebook (tests, embedding applications); <see cref="LqaeKind.Create"/> loads the recipe's.</summary>
    public static LqaeKindModel Create(LqaeRecipe recipe, LanguageCodebook codebook)
    {
        using var vectors = tensor(codebook.Vectors).view(codebook.Count, codebook.Dimension);
        return new LqaeKindModel(recipe, new LqaeModel(recipe, vectors), codebook, codebookIsReal: true);
    }

    public override IModelRecipe Recipe => recipe;
    public LqaeRecipe LqaeRecipe => recipe;
    public LqaeModel Model { get; }
    public LanguageCodebook Codebook { get; }
    public override nn.Module Module => Model;
    public override IReadOnlyDictionary<string, string> InputHashes => inputHashes;

    /// <summary>Content hash of the codebook rows the model uses (their float32 bytes, row-major).</summary>
    public static string CodebookSha256(LanguageCodebook codebook) =>
        Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(codebook.Vectors.AsSpan())));

    public override TrainingPlan TrainingPlan => PlanFor(recipe);

    /// <summary>The main phase trains everything; the decoder-only phase (training.decoderSteps) the decoder alone.</summary>
    public static TrainingPlan PlanFor(LqaeRecipe recipe) => TrainingPlan.From(recipe.Training,
        new TrainingPhase("main", recipe.Training.Steps, recipe.Training.WarmupSteps, new HashSet<string> { LqaeTrainingTask.EncoderGroup, LqaeTrainingTask.DecoderGroup }),
        new TrainingPhase("decoder-only", recipe.Training.DecoderSteps, 0, new HashSet<string> { LqaeTrainingTask.DecoderGroup }));

    public override ITrainingTask CreateTrainingTask(KindContext context)
    {
        var train = RecipeData.LoadImages(recipe, context.RequireData("training"), DataSplit.Train);
        if (recipe.Data.TrainLimit > 0 && recipe.Data.TrainLimit < train.Count) train = train.Slice(0, recipe.Data.TrainLimit);
        context.Report($"{train.Count:N0} training images, codebook {Codebook.Count:N0} × {Codebook.Dimension}, {recipe.TokensPerImage} tokens per image");
        return CreateTrainingTask(train);
    }

    /// <summary>The training task on images already loaded.</summary>
    public ITrainingTask CreateTrainingTask(ImageDataset train) => new LqaeTrainingTask(recipe, Model, train);

    protected override void OnWeightsLoaded() => Model.RebuildSearchCopies();

    public override BundleDefinition DefineBundle()
    {
        var r = recipe;
        int c = r.Data.Channels, s = r.Data.ImageSize, n = r.TokensPerImage, d = r.Codebook.Dimension;
        var vocabulary = Encoding.UTF8.GetBytes(string.Concat(Codebook.Words.Select(w => w + "\n")));
        var graphs = new List<GraphDefinition>
        {
            new(EncoderRole, Model.Encoder, [new(OnnxInputSpec.Batched("image", c, s, s), TensorMeaning.Image)],
                [new("latents", TensorMeaning.Latents)]),
            new(QuantizerRole, Model.Quantizer, [new(OnnxInputSpec.Batched("latents", n, d), TensorMeaning.Latents)],
                [new("token_ids", TensorMeaning.TokenIds), new("codes", TensorMeaning.Codes)]),
        };
        if (Model.Bert is not { } bert)
        {
            graphs.Add(new(DecoderRole, Model.TokenDecoder, [new(OnnxInputSpec.BatchedInt64("token_ids", n), TensorMeaning.TokenIds)],
                [new("image", TensorMeaning.Image)]));
        }
        else
        {
            graphs.Add(new(BertRole, bert,
                [new(OnnxInputSpec.BatchedInt64("token_ids", n), TensorMeaning.TokenIds), new(OnnxInputSpec.BatchedInt64("attention_mask", n), TensorMeaning.AttentionMask)],
                [new("hidden_states", TensorMeaning.HiddenStates)]));
            graphs.Add(new(HiddenDecoderRole, Model.Decoder, [new(OnnxInputSpec.Batched("hidden_states", n, bert.HiddenSize), TensorMeaning.HiddenStates)],
                [new("image", TensorMeaning.Image)]));
        }
        return new BundleDefinition(graphs,
        [new BundleAsset("vocabulary", VocabularyFile, AssetType.Vocabulary, vocabulary)],
        new ImageSpec
        {
            Channels = c, Height = s, Width = s,
            Mean = Enumerable.Repeat(r.Data.Mean, c).ToArray(),
            Std = Enumerable.Repeat(r.Data.Std, c).ToArray(),
        },
        new TokenSpec
        {
            PerImage = n, Grid = [r.GridSize, r.GridSize], Levels = [.. r.Levels],
            Vocabulary = VocabularyFile, VocabularySize = Codebook.Count, EmbeddingDim = d,
        });
    }

    public override VerificationPlan PlanVerification(KindContext context, int examples)
    {
        var test = RecipeData.LoadImages(recipe, context.RequireData("verification"), DataSplit.Test);
        return PlanVerification(ImageTensors.Normalised(test.Slice(0, Math.Min(examples, test.Count)), recipe.Data), VerifyBatch);
    }

    /// <summary>
    /// Parity cases on normalised images (N, C, H, W): batches of <paramref name="batchSize"/>, after a single
    /// image and an odd-sized batch so the dynamic batch axis is exercised; then the end-to-end token check.
    /// </summary>
    public VerificationPlan PlanVerification(Tensor images, int batchSize)
    {
        Model.eval();
        using var noGrad = no_grad();
        long count = images.shape[0];
        var imageCases = new List<ParityCase>();
        var latentCases = new List<ParityCase>();
        var idCases = new List<ParityCase>();
        var bertCases = new List<ParityCase>();
        var hiddenCases = new List<ParityCase>();
        var bert = Model.Bert;
        var sizes = new List<long> { 1, 7 };
        for (long start = 8; start < count; start += batchSize) sizes.Add(Math.Min(batchSize, count - start));
        long offset = 0;
        foreach (var size in sizes)
        {
            if (offset >= count) break;
            var batch = images.narrow(0, offset, Math.Min(size, count - offset));       // (B, C, H, W)
            var range = $"[{offset}..{offset + batch.shape[0]})";
            imageCases.Add(new ParityCase($"images{range}", batch));
            latentCases.Add(new ParityCase($"latents{range}", Model.Encoder.call(batch).DetachFromDisposeScope()));   // (B, N, D)
            var ids = Model.Encode(batch).DetachFromDisposeScope();                                                   // (B, N)
            idCases.Add(new ParityCase($"ids{range}", ids));
            if (bert is not null)
            {
                // Half the words masked, as in training, and the last position padded in every other image, so both inputs matter.
                var mask = LqaeModel.ExactMask(ids.shape[0], ids.shape[1], 0.5f, new Generator((ulong)(recipe.Seed + offset)))!;   // (B, N)
                var attention = ones_like(ids);
                attention.narrow(1, ids.shape[1] - 1, 1).index_fill_(0, arange(0, ids.shape[0], 2, dtype: ScalarType.Int64), 0);
                bertCases.Add(new ParityCase($"bert{range}", [ids.masked_fill(mask, bert.MaskId).DetachFromDisposeScope(), attention.DetachFromDisposeScope()]));
                hiddenCases.Add(new ParityCase($"hidden{range}", bert.Read(bert.Embed(ids)).DetachFromDisposeScope()));     // (B, N, D)
            }
            offset += batch.shape[0];
        }
        var cases = new Dictionary<string, IReadOnlyList<ParityCase>> { [EncoderRole] = imageCases, [QuantizerRole] = latentCases };
        if (bert is null) cases[DecoderRole] = idCases;
        else
        {
            cases[BertRole] = bertCases;
            cases[HiddenDecoderRole] = hiddenCases;
        }
        return new VerificationPlan((int)count, cases, [new LqaeTokenCheck(Model, imageCases, latentCases, idCases)]);
    }

    public override EvaluationReport Evaluate(KindContext context, string reportDir, TrainingResult? training) =>
        LqaeReport.Write(this, context, reportDir, training);

    public override GoldenCase Golden(KindContext context, string goldenDir, string checkpointPath)
    {
        if (!File.Exists(Path.Combine(goldenDir, LqaeGolden.FixtureImages)))
            LqaeGolden.WriteFixtures(goldenDir, context.RequireData("writing the golden fixtures"));
        return LqaeGolden.Compute(this, goldenDir, checkpointPath);
    }

    public override IReadOnlyList<string> Vocabulary => Codebook.Words;

    /// <summary>With a BERT the codebook comes from the BERT's folder again, so no vocabulary file stands beside the checkpoint.</summary>
    public override IReadOnlyList<string>? ReferenceVocabulary => Model.Bert is null ? Codebook.Words : null;
}
