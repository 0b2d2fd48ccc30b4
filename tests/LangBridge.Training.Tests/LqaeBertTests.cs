using LangBridge.Pretrained.Import;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Lqae;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests;

/// <summary>LQAE with a frozen BERT between the words and the decoder (recipe <c>models/lqae-bert.json</c>), on a tiny random BERT.</summary>
public sealed class LqaeBertTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lb-bert-").FullName;
    private readonly TinyLqaeBert tiny = new();

    public void Dispose()
    {
        tiny.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    private TrainerOptions Options(string name, bool resume = false, int? stopAfter = null) =>
        new(Path.Combine(dir, name + ".lbck"), Path.Combine(dir, name + ".jsonl"), resume, stopAfter);

    private static float[][] Values(IEnumerable<Tensor> tensors) => tensors.Select(p => p.detach().data<float>().ToArray()).ToArray();

    /// <summary>Same shape and every element bit-for-bit equal.</summary>
    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void TheShippedRecipeReadsMiniLmsWholeWordsThroughAFrozenBert()
    {
        var recipe = LqaeRecipe.Load(Path.Combine(TestPaths.RepositoryRoot, "models", "lqae-bert.json"));
        Assert.NotNull(recipe.Bert);
        Assert.Equal(BertSection.MiniLm, recipe.Bert!.Model);
        Assert.Equal(BertVocabulary.Words, recipe.Bert.Vocabulary);
        Assert.Equal(384, recipe.Codebook.Dimension);
        Assert.Equal(0.5f, recipe.Masking.Ratio);
        Assert.Equal(1e-4f, recipe.Bert.MaskedTokenWeight);
        Assert.Equal(0.005f, recipe.Quantizer.Commitment);
        Assert.InRange(recipe.Bert.Layers, 1, 6);
    }

    [Theory]
    [InlineData(""" "bert": { "layers": -1 } """, "bert.layers")]
    [InlineData(""" "bert": { "maskedTokenWeight": -0.1 } """, "bert.maskedTokenWeight")]
    [InlineData(""" "bert": { "model": " " } """, "bert.model")]
    [InlineData(""" "bert": { "vocabulary": "pieces" } """, "bert.vocabulary")]
    [InlineData(""" "bert": {}, "codebook": { "path": "artifacts/data/glove", "size": 1000, "dimension": 384 } """, "codebook.path")]
    [InlineData(""" "bert": {}, "globalTokens": { "count": 2 } """, "globalTokens")]
    [InlineData(""" "bert": {}, "quantizer": { "positionalVocabulary": true } """, "quantizer.positionalVocabulary")]
    public void BadBertValuesAreNamed(string sections, string key)
    {
        var path = Path.Combine(dir, "r.json");
        var codebook = sections.Contains("\"codebook\"") ? "" : """ "codebook": { "size": 1000, "dimension": 384 }, """;
        File.WriteAllText(path, $$"""{ "name": "x", "kind": "lqae", {{codebook}} {{sections}} }""");
        var e = Assert.Throws<RecipeException>(() => LqaeRecipe.Load(path));
        Assert.Equal(key, e.Key);
    }

    [Theory]
    [InlineData(3, 32, TinyLqaeBert.Hidden, "bert.layers", "2 layers")]
    [InlineData(1, 39, TinyLqaeBert.Hidden, "codebook.size", "38")]
    [InlineData(1, 32, 16, "codebook.dimension", "hidden size is 8")]
    public void ARecipeTheBertCannotServeFailsNamingTheKey(int layers, int size, int dimension, string key, string detail)
    {
        var recipe = tiny.Recipe(layers: layers) with { Codebook = new CodebookSection { Size = size, Dimension = dimension } };
        var e = Assert.Throws<RecipeException>(() => tiny.Create(recipe));
        Assert.Equal(key, e.Key);
        Assert.Contains(detail, e.Message);
        var missing = tiny.Recipe() with { Bert = tiny.Recipe().Bert! with { Model = Path.Combine(dir, "no-such-bert") } };
        Assert.Equal("bert.model", Assert.Throws<RecipeException>(() => tiny.Create(missing)).Key);
    }

    [Fact]
    public void TheHashCoversTheBertSectionButNotWhereTheBertIsRead()
    {
        var recipe = tiny.Recipe();
        Assert.Equal(recipe.Sha256, (recipe with { Bert = recipe.Bert! with { Model = "/elsewhere/the-same-bert" } }).Sha256);
        Assert.NotEqual(recipe.Sha256, (recipe with { Bert = recipe.Bert! with { Layers = 2 } }).Sha256);
        Assert.NotEqual(recipe.Sha256, (recipe with { Bert = recipe.Bert! with { MaskedTokenWeight = 0 } }).Sha256);
        Assert.NotEqual(recipe.Sha256, (recipe with { Bert = null }).Sha256);
        // Recipes without a BERT serialise as before, so their hashes (and checkpoints) are unchanged.
        Assert.DoesNotContain("bert", new LqaeRecipe { Name = "x" }.ToJson());
    }

    [Fact]
    public void TheCodebookIsTheBertsWordTableRestrictedToWholeWordsInVocabularyOrder()
    {
        var words = LqaeBertSource.AllowedRows(TinyLqaeBert.Vocabulary, BertVocabulary.Words);
        Assert.Equal(Enumerable.Range(TinyLqaeBert.FirstWord, 38), words);
        Assert.Equal(TinyLqaeBert.Vocabulary.Count, LqaeBertSource.AllowedRows(TinyLqaeBert.Vocabulary, BertVocabulary.All).Count);
        Assert.False(LqaeBertSource.IsWholeWord("##s"));
        Assert.False(LqaeBertSource.IsWholeWord("[unused0]"));
        Assert.False(LqaeBertSource.IsWholeWord("7"));
        Assert.True(LqaeBertSource.IsWholeWord("boot"));

        using var kind = tiny.Create();
        Assert.Equal(TinyLqaeBert.Vocabulary.Skip(TinyLqaeBert.FirstWord).Take(32), kind.Codebook.Words);
        using var hf = HuggingFaceBert.Load(tiny.Dir).Encoder;
        using var table = hf.WordEmbeddings.detach();
        var bert = kind.Model.Bert!;
        Assert.True(Same(bert.WordTable, table.narrow(0, TinyLqaeBert.FirstWord, 32)));
        Assert.True(Same(bert.MaskVector, table[TinyLqaeBert.MaskId]));
        Assert.Equal(bert.Words, bert.MaskId);
        // The search runs on the same rows, normalised.
        Assert.True(kind.Model.Quantizer.Codebook.allclose(nn.functional.normalize(bert.WordTable, dim: 1), rtol: 1e-5, atol: 1e-6));
        Assert.True(kind.InputHashes.ContainsKey("bert"));
        Assert.True(kind.InputHashes.ContainsKey("codebook"));
    }

    [Fact]
    public void TheBodyComputesWhatTheBertComputesAfterItsWordLookup()
    {
        using var encoder = HuggingFaceBert.Load(tiny.Dir).Encoder;
        using var body = Pretrained.Models.BertBody.From(encoder, TinyLqaeBert.Layers);
        using var firstLayer = Pretrained.Models.BertBody.From(encoder, 1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = randint(0, TinyLqaeBert.Vocabulary.Count, [3, 7], dtype: ScalarType.Int64, generator: new Generator(1));
        var mask = ones_like(ids);
        mask[1, 6] = tensor(0L);
        var vectors = encoder.WordEmbeddings.index_select(0, ids.flatten()).view(3, 7, TinyLqaeBert.Hidden);
        Assert.True(Same(body.call(vectors, mask), encoder.call(ids, mask)));
        Assert.True(Same(body.Read(vectors), encoder.Encode(ids)));
        Assert.False(firstLayer.Read(vectors).allclose(body.Read(vectors), rtol: 1e-3, atol: 1e-3));
        Assert.All(body.parameters(), p => Assert.False(p.requires_grad));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pretrained.Models.BertBody.From(encoder, TinyLqaeBert.Layers + 1));
    }

    [Theory]
    [InlineData(0.5f, 8)]
    [InlineData(0.25f, 4)]
    [InlineData(0.03f, 0)]
    public void MaskingReplacesExactlyTheConfiguredShareWithTheMaskEmbedding(float ratio, int perImage)
    {
        var recipe = tiny.Recipe() with { Masking = new MaskingSection { Ratio = ratio } };
        using var kind = tiny.Create(recipe);
        var model = kind.Model;
        var bert = model.Bert!;
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = ImageTensors.Normalised(TinyLqae.Images(), recipe.Data);            // (40, 1, 8, 8)
        var mask = model.TrainingMask(images.shape[0], new Generator(3));                // (40, 16) or null
        Assert.Equal(perImage, LqaeModel.MaskedCount(recipe.TokensPerImage, ratio));
        if (perImage == 0)
        {
            Assert.Null(mask);
            return;
        }
        Assert.All(mask!.sum(1).data<long>().ToArray(), count => Assert.Equal(perImage, count));
        Assert.False(Same(mask, model.TrainingMask(images.shape[0], new Generator(4))!)); // positions differ by seed

        var z = model.Latents(images);
        var ids = model.Search(z);
        var vectors = bert.StraightThrough(z, ids, mask);                                 // (40, 16, D)
        var m = mask.flatten().data<bool>().ToArray();
        var rows = vectors.view(-1, TinyLqaeBert.Hidden);
        var flatIds = ids.flatten().data<long>().ToArray();
        for (int i = 0; i < m.Length; i++)
            Assert.True(Same(rows[i], m[i] ? bert.MaskVector : bert.WordTable[flatIds[i]]), $"position {i} (masked: {m[i]})");

        // The forward's hidden states are the BERT's reading of the ids with [MASK] where masked.
        var output = model.Forward(images, mask);
        Assert.Equal(ids.data<long>().ToArray(), output.TokenIds.data<long>().ToArray());          // masked positions are searched too
        var expected = bert.call(ids.masked_fill(mask, bert.MaskId), ones_like(ids));
        Assert.True(output.Hidden!.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.True(output.Reconstruction.allclose(model.Decoder.call(expected), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void TheStraightThroughGradientReachesEachLatentScaledByItsWordsNormAndNotAtMaskedPositions()
    {
        using var kind = tiny.Create();
        var bert = kind.Model.Bert!;
        using var scope = NewDisposeScope();
        var z = nn.functional.normalize(randn(2, 16, TinyLqaeBert.Hidden, generator: new Generator(2)), dim: -1).requires_grad_(true);
        var ids = randint(0, 32, [2, 16], dtype: ScalarType.Int64, generator: new Generator(3));
        var mask = LqaeModel.ExactMask(2, 16, 0.5f, new Generator(4))!;
        bert.StraightThrough(z, ids, mask).sum().backward();
        var norms = bert.WordTable.norm(1).index_select(0, ids.flatten()).view(2, 16, 1);          // (2, 16, 1)
        var expected = norms.expand(2, 16, TinyLqaeBert.Hidden).masked_fill(mask.unsqueeze(-1), 0f);
        Assert.True(z.grad!.allclose(expected, rtol: 1e-6, atol: 0), "∂/∂z should be the word row's norm, 0 where masked");
        Assert.True(norms.min().item<float>() > 0 && !norms.allclose(ones_like(norms)));             // the scale is not trivially 1
    }

    [Fact]
    public void OneStepTrainsTheEncoderThroughTheFrozenBertAndLeavesTheBertAsItWas()
    {
        using var kind = tiny.Create();
        var model = kind.Model;
        var bert = model.Bert!;
        var bertBefore = Values(bert.parameters().Concat(bert.buffers()));
        var encoderBefore = Values(model.Encoder.parameters());
        var decoderBefore = Values(model.Decoder.parameters());

        using var task = kind.CreateTrainingTask(TinyLqae.Images());
        var trained = task.ParameterGroups.SelectMany(g => g.Parameters).Select(p => p.Handle).ToHashSet();
        Assert.All(bert.parameters(), p => Assert.DoesNotContain(p.Handle, trained));
        Assert.All(bert.parameters(), p => Assert.False(p.requires_grad));

        // Reconstruction alone: the decoder reads only the BERT's hidden states, so the encoder's gradient went through the BERT.
        model.train();
        Assert.False(bert.Body.training);                                                // frozen: stays in eval mode (no dropout)
        using (var scope = NewDisposeScope())
        {
            var images = ImageTensors.Normalised(TinyLqae.Images(), kind.LqaeRecipe.Data);
            var output = model.Forward(images, model.TrainingMask(images.shape[0], new Generator(1)));
            nn.functional.mse_loss(output.Reconstruction, images).backward();
            Assert.All(bert.parameters(), p => Assert.True(p.grad is null));
            var encoderGrad = model.Encoder.parameters().Select(p => p.grad!.abs().sum().item<float>()).ToArray();
            Assert.All(encoderGrad, g => Assert.True(float.IsFinite(g)));
            Assert.Contains(encoderGrad, g => g > 0);
        }
        foreach (var p in model.parameters()) p.grad?.zero_();

        var result = TinyLqaeBert.Train(kind, Options("step"));
        Assert.Equal(12, result.StepsCompleted);
        Assert.Equal(bertBefore, Values(bert.parameters().Concat(bert.buffers())));
        var encoderAfter = Values(model.Encoder.parameters());
        var decoderAfter = Values(model.Decoder.parameters());
        Assert.All(Enumerable.Range(0, encoderBefore.Length), i => Assert.NotEqual(encoderBefore[i], encoderAfter[i]));
        Assert.All(Enumerable.Range(0, decoderBefore.Length), i => Assert.NotEqual(decoderBefore[i], decoderAfter[i]));
    }

    [Fact]
    public void TheLossTermsAreFiniteAndTheMaskedTokenTermIsWeightedIn()
    {
        using var kind = tiny.Create();
        using var task = kind.CreateTrainingTask(TinyLqae.Images());
        var phase = kind.TrainingPlan.Phases[0];
        using var scope = NewDisposeScope();
        var terms = task.Loss(phase, 0, arange(8, dtype: ScalarType.Int64));
        Assert.Equal(["commitment", "loss", "masked_token", "reconstruction"], terms.Keys.Order());
        var v = terms.ToDictionary(t => t.Key, t => (double)t.Value.item<float>());
        Assert.All(v.Values, x => Assert.True(double.IsFinite(x) && x > 0, $"{x}"));
        // A random BERT guesses a masked word among 32 at about chance: cross-entropy near ln 32.
        Assert.InRange(v["masked_token"], 1.0, 10.0);
        var r = kind.LqaeRecipe;
        Assert.Equal(v["reconstruction"] + r.Quantizer.Commitment * v["commitment"] + r.Bert!.MaskedTokenWeight * v["masked_token"], v["loss"], 5);

        var trained = TinyLqaeBert.Train(kind, Options("terms"));
        Assert.All(trained.FinalLosses.Values, x => Assert.True(double.IsFinite(x)));
        Assert.Contains("masked_token", trained.FinalLosses.Keys);
    }

    [Fact]
    public void TheStepProfileComputesTheTrainingLossesGradientsPartByPart()
    {
        using var kind = tiny.Create();
        var model = kind.Model;
        var images = TinyLqae.Images();
        using var task = kind.CreateTrainingTask(images);
        using var batchIndex = arange(8, dtype: ScalarType.Int64);
        model.train();
        float[][] Gradients() => model.trainable_parameters().Select(p => p.grad!.data<float>().ToArray()).ToArray();
        Dictionary<string, double> expectedTerms;
        using (var scope = NewDisposeScope())
        {
            var terms = task.Loss(kind.TrainingPlan.Phases[0], 3, batchIndex);
            terms["loss"].backward();
            expectedTerms = terms.ToDictionary(t => t.Key, t => (double)t.Value.item<float>());
        }
        var expected = Gradients();
        foreach (var p in model.parameters()) p.grad?.zero_();

        var profiler = new LqaeStepProfiler(model, images);
        var times = new Dictionary<string, double>();
        using (var scope = NewDisposeScope())
        {
            var batch = ImageTensors.Normalised(images, kind.LqaeRecipe.Data).index_select(0, batchIndex);
            var terms = profiler.Backward(batch, 3, times);
            foreach (var (name, value) in terms) Assert.Equal(expectedTerms[name], value.item<float>(), 6);
        }
        var actual = Gradients();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(tensor(actual[i]).allclose(tensor(expected[i]), rtol: 1e-4, atol: 1e-7), $"gradient {i} differs");
        Assert.Equal(LqaeStepProfiler.Parts.Where(p => p != "optimizer"), times.Keys);
        Assert.All(model.Bert!.parameters(), p => Assert.True(p.grad is null));

        var profile = profiler.Run(steps: 2, warmup: 1);
        Assert.Equal(LqaeStepProfiler.Parts, profile.Parts.Keys);
        Assert.All(profile.Parts.Values, ms => Assert.True(ms >= 0));
        Assert.True(profile.ImagesPerSecond > 0);
    }

    [Fact]
    public void DecoderOnlyStepsTrainTheDecoderAloneOnTheBertsReadingOfEveryWord()
    {
        var masked = tiny.Recipe(steps: 6);
        var recipe = masked with { Training = masked.Training with { DecoderSteps = 6 } };
        using var before = tiny.Create(masked, seed: 4);
        TinyLqaeBert.Train(before, Options("before"));
        using var after = tiny.Create(recipe, seed: 4);
        TinyLqaeBert.Train(after, Options("after"));
        Assert.Equal(Values(before.Model.Encoder.parameters()), Values(after.Model.Encoder.parameters()));
        Assert.Equal(Values(before.Model.Bert!.parameters()), Values(after.Model.Bert!.parameters()));
        Assert.NotEqual(Values(before.Model.Decoder.parameters())[0], Values(after.Model.Decoder.parameters())[0]);
    }

    [Fact]
    public void ResumingAfterAKillEndsWithTheSameWeightsAsAnUninterruptedRun()
    {
        using var full = tiny.Create(seed: 5);
        Assert.Equal(12, TinyLqaeBert.Train(full, Options("full")).StepsCompleted);
        using (var killed = tiny.Create(seed: 5))
            Assert.Equal(4, TinyLqaeBert.Train(killed, Options("resumed", stopAfter: 4)).StepsCompleted);
        // A different initialisation proves the weights come from the checkpoint.
        using var resumed = tiny.Create(seed: 99);
        var result = TinyLqaeBert.Train(resumed, Options("resumed", resume: true));
        Assert.Equal(4, result.StartStep);
        Assert.Equal(12, result.StepsCompleted);
        var (a, b) = (Values(full.Module.parameters()), Values(resumed.Module.parameters()));
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);

        // The checkpoint loads for evaluation too, and rebuilds the search copies: the same words come out.
        using var loaded = tiny.Create(seed: 7);
        loaded.LoadWeights(Path.Combine(dir, "full.lbck"));
        using var images = ImageTensors.Normalised(TinyLqae.Images(), full.LqaeRecipe.Data);
        Assert.Equal(full.Model.Encode(images).data<long>().ToArray(), loaded.Model.Encode(images).data<long>().ToArray());
    }

    [Fact]
    public void ACheckpointTrainedThroughAnotherBertIsRefused()
    {
        string codebookHash, bertHash;
        using (var kind = tiny.Create())
        {
            TinyLqaeBert.Train(kind, Options("other", stopAfter: 4));
            (codebookHash, bertHash) = (kind.InputHashes["codebook"], kind.InputHashes["bert"]);
        }
        // The same word table (so the same codebook) in front of a slightly different first layer.
        using var encoder = HuggingFaceBert.Load(tiny.Dir).Encoder;
        using (no_grad()) encoder.named_parameters().First(p => p.name == "layers.0.query.weight").parameter.add_(0.01f);
        var recipe = tiny.Recipe();
        manual_seed(5);
        using var other = LqaeKindModel.Create(recipe, LqaeBertSource.From(recipe, encoder, TinyLqaeBert.Vocabulary, "perturbed"));
        Assert.Equal(codebookHash, other.InputHashes["codebook"]);
        Assert.NotEqual(bertHash, other.InputHashes["bert"]);
        var e = Assert.Throws<CheckpointException>(() => TinyLqaeBert.Train(other, Options("other", resume: true)));
        Assert.Contains("another bert", e.Message);
    }

    [Fact]
    public void TheBundleHoldsTheBertAndPassesParityWithEveryIdIdentical()
    {
        using var kind = tiny.Create(tiny.Recipe(steps: 6));
        TinyLqaeBert.Train(kind, Options("bundle"));
        var export = BundleExporter.Export(kind, Path.Combine(dir, "bert-bundle"));
        // No decoder graph: the runtime decodes through bert → hidden_decoder, so the BERT is in the bundle once.
        Assert.Equal(
            [LqaeKindModel.BertRole, LqaeKindModel.EncoderRole, LqaeKindModel.HiddenDecoderRole, LqaeKindModel.QuantizerRole],
            export.Manifest.Graphs.Keys.Order());
        var bert = export.Manifest.Graphs[LqaeKindModel.BertRole];
        Assert.Equal(["token_ids", "attention_mask"], bert.Inputs.Select(i => i.Name));
        Assert.Equal("hidden_states", Assert.Single(bert.Outputs).Meaning);
        using var images = ImageTensors.Normalised(TinyLqae.Images(), kind.LqaeRecipe.Data);
        var plan = kind.PlanVerification(images, batchSize: 16);
        Assert.DoesNotContain(LqaeKindModel.DecoderRole, plan.Cases.Keys);
        // The BERT's cases mask half the words and pad some positions, so both inputs are exercised.
        var bertCase = plan.Cases[LqaeKindModel.BertRole][^1];
        Assert.True(bertCase.Inputs[0].eq(kind.Model.Bert!.MaskId).any().item<bool>());
        Assert.True(bertCase.Inputs[1].eq(0).any().item<bool>());
        var report = BundleVerifier.Verify(kind, export, plan);
        Assert.True(report.Passed, report.ToJson());
        Assert.Equal(1.0, report.Checks["token_ids"].Numbers["token_match_rate"]);
        Assert.Contains(LqaeKindModel.BertRole, report.Graphs.Keys);
    }

    /// <summary>A 6-step model and its bundle (exported, not verified).</summary>
    private (LqaeKindModel Kind, BundleExport Export) TrainedBundle(string name)
    {
        var kind = tiny.Create(tiny.Recipe(steps: 6));
        TinyLqaeBert.Train(kind, Options(name));
        return (kind, BundleExporter.Export(kind, Path.Combine(dir, name + "-bundle")));
    }

    [Fact]
    public void TheRuntimeDecodesThroughTheBertAndTheHiddenDecoderAsTheModelDoes()
    {
        var (kind, export) = TrainedBundle("decode");
        using var _ = kind;
        using var images = ImageTensors.Normalised(TinyLqae.Images(count: 5), kind.LqaeRecipe.Data);
        using var tokenizer = Runtime.ImageTokenizer.Open(export.Folder);
        Assert.Equal([LqaeKindModel.BertRole, LqaeKindModel.EncoderRole, LqaeKindModel.HiddenDecoderRole, LqaeKindModel.QuantizerRole],
            tokenizer.ProviderChoices.Keys.Order());
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = kind.Model.Encode(images);                                               // (5, N)
        var decoded = tokenizer.Decode(ids.data<long>().ToArray(), 5).SelectMany(d => d.Normalized).ToArray();
        var expected = kind.Model.Decode(ids);                                            // (5, 1, 8, 8)
        Assert.True(tensor(decoded).view(expected.shape).allclose(expected, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void TheRuntimesBertFeaturesAreTheModelsHiddenStatesAndTheirMean()
    {
        var (kind, export) = TrainedBundle("features");
        using var _ = kind;
        using var images = ImageTensors.Normalised(TinyLqae.Images(count: 6), kind.LqaeRecipe.Data);   // (6, 1, 8, 8)
        using var tokenizer = Runtime.ImageTokenizer.Open(export.Folder);
        Assert.True(tokenizer.HasBertFeatures);
        var shape = images.shape;
        var encoded = tokenizer.EncodeWithFeatures(images.data<float>().ToArray(), (int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var bert = kind.Model.Bert!;
        var ids = kind.Model.Encode(images);                                                // (6, N)
        Assert.Equal(ids.data<long>().ToArray(), encoded.SelectMany(e => e.TokenIds).ToArray());
        var hidden = bert.Read(bert.Embed(ids));                                            // (6, N, D)
        var pooled = hidden.mean([1]);                                                      // (6, D)
        var features = encoded.Select(e => e.Features!).ToArray();
        Assert.All(features, f => Assert.Equal((ids.shape[1], bert.HiddenSize), (f.Positions, f.HiddenSize)));
        var runtimeHidden = tensor(features.SelectMany(f => f.HiddenStates).ToArray()).view(hidden.shape);
        var runtimePooled = tensor(features.SelectMany(f => f.Pooled).ToArray()).view(pooled.shape);
        Assert.True(runtimeHidden.allclose(hidden, rtol: 0, atol: 1e-4), $"max error {(runtimeHidden - hidden).abs().max().item<float>()}");
        Assert.True(runtimePooled.allclose(pooled, rtol: 0, atol: 1e-4), $"max error {(runtimePooled - pooled).abs().max().item<float>()}");
        // Features are only computed on request.
        Assert.All(tokenizer.Encode(images.data<float>().ToArray(), (int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]), e => Assert.Null(e.Features));
    }

    [Fact]
    public void AGloVeBundleAskedForBertFeaturesThrowsTheTypedException()
    {
        var recipe = TinyLqae.Recipe();
        using var model = new LqaeModel(recipe, TinyLqae.Codebook());
        using var kind = TinyLqae.Kind(model);
        var export = BundleExporter.Export(kind, Path.Combine(dir, "glove-bundle"));
        Assert.Contains(LqaeKindModel.DecoderRole, export.Manifest.Graphs.Keys);          // GloVe bundles keep their decoder
        using var tokenizer = Runtime.ImageTokenizer.Open(export.Folder);
        Assert.False(tokenizer.HasBertFeatures);
        var image = new Runtime.PixelImage(8, 8, 1, new byte[64]);
        Assert.Null(tokenizer.Encode(image).Features);
        var e = Assert.Throws<Runtime.FeaturesUnavailableException>(() => tokenizer.EncodeWithFeatures(image));
        Assert.Contains("\"bert\"", e.Message);
    }
}
