using LangBridge.Onnx.Graph;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Lqae;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests;

public sealed class LqaeTrainingTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("lb-train-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static float[][] Weights(LqaeModel model) =>
        model.parameters().Select(p => p.detach().data<float>().ToArray()).ToArray();

    private (LqaeModel Model, TrainingResult Result) Run(string name, int? stopAfter, bool resume, int initSeed)
    {
        var recipe = TinyLqae.Recipe();
        manual_seed(initSeed);
        var model = new LqaeModel(recipe, TinyLqae.Codebook());
        var options = new TrainerOptions(Path.Combine(dir, name + ".lbck"), Path.Combine(dir, name + ".jsonl"), resume, stopAfter);
        var result = TinyLqae.Train(recipe, model, options);
        return (model, result);
    }

    [Fact]
    public void ResumingAfterAKillEndsWithTheSameWeightsAsAnUninterruptedRun()
    {
        var (full, fullResult) = Run("full", stopAfter: null, resume: false, initSeed: 5);
        Assert.Equal(12, fullResult.StepsCompleted);

        var (_, killed) = Run("resumed", stopAfter: 4, resume: false, initSeed: 5);
        Assert.Equal(4, killed.StepsCompleted);
        // A run killed between checkpoints has logged steps it will train again.
        var log = Path.Combine(dir, "resumed.jsonl");
        File.AppendAllText(log, """{"step":6,"lr":0,"images_per_second":0,"losses":{}}""" + "\n");
        // A different initialisation proves the weights come from the checkpoint.
        var (resumed, resumedResult) = Run("resumed", stopAfter: null, resume: true, initSeed: 99);
        Assert.Equal(4, resumedResult.StartStep);
        Assert.Equal(12, resumedResult.StepsCompleted);
        var steps = File.ReadLines(log).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()).ToArray();
        Assert.Equal(steps.Order().Distinct(), steps);                                    // each step once, in order

        var a = Weights(full);
        var b = Weights(resumed);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
        full.Dispose();
        resumed.Dispose();
    }

    [Fact]
    public void TrainingReducesTheReconstructionLossAndUsesSeveralWords()
    {
        var recipe = TinyLqae.Recipe(steps: 60);
        manual_seed(1);
        using var model = new LqaeModel(recipe, TinyLqae.Codebook());
        var images = ImageTensors.Normalised(TinyLqae.Images(), recipe.Data);
        double Loss()
        {
            using var noGrad = no_grad();
            model.eval();
            return nn.functional.mse_loss(model.Forward(images).Reconstruction, images).item<float>();
        }
        var before = Loss();
        TinyLqae.Train(recipe, model, new TrainerOptions(Path.Combine(dir, "c.lbck"), Path.Combine(dir, "c.jsonl")));
        var after = Loss();
        Assert.True(after < before * 0.7, $"reconstruction MSE {before:F4} -> {after:F4}");
        var ids = model.Encode(images).data<long>().ToArray();
        Assert.True(ids.Distinct().Count() > 1);
        Assert.All(ids, id => Assert.InRange(id, 0, 63));
    }

    [Fact]
    public void DecoderOnlyStepsLeaveTheWordsAsTheyWereAndTrainTheDecoder()
    {
        var masked = TinyLqae.Recipe(steps: 8);
        var finetuned = masked with { Training = masked.Training with { DecoderSteps = 10 } };
        LqaeModel Train(LqaeRecipe recipe, string name)
        {
            manual_seed(4);
            var model = new LqaeModel(recipe, TinyLqae.Codebook());
            TinyLqae.Train(recipe, model, new TrainerOptions(Path.Combine(dir, name + ".lbck"), Path.Combine(dir, name + ".jsonl")));
            return model;
        }
        using var before = Train(masked, "before");
        using var after = Train(finetuned, "after");

        var decoder = after.Decoder.parameters().Select(p => p.Handle).ToHashSet();
        var frozen = after.parameters().Select(p => !decoder.Contains(p.Handle)).ToArray();
        var (a, b) = (Weights(before), Weights(after));
        Assert.Contains(true, frozen);
        for (int i = 0; i < a.Length; i++)
        {
            if (frozen[i]) Assert.Equal(a[i], b[i]);
            else Assert.NotEqual(a[i], b[i]);
        }
        using var scope = NewDisposeScope();
        var images = ImageTensors.Normalised(TinyLqae.Images(), masked.Data);
        Assert.Equal(before.Encode(images).data<long>().ToArray(), after.Encode(images).data<long>().ToArray());
        double Mse(LqaeModel model) => nn.functional.mse_loss(model.Decode(model.Encode(images)), images).item<float>();
        Assert.True(Mse(after) < Mse(before), $"unmasked reconstruction MSE {Mse(before):F4} -> {Mse(after):F4}");
    }

    [Fact]
    public void MaskedPositionsAreNotSearchedAndDecodeFromTheZeroVector()
    {
        var recipe = TinyLqae.Recipe();
        manual_seed(2);
        using var model = new LqaeModel(recipe, TinyLqae.Codebook());
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = ImageTensors.Normalised(TinyLqae.Images(), recipe.Data);
        var mask = LqaeModel.RandomMask(images.shape[0], recipe.TokensPerImage, 0.5f, new Generator(3))!;
        var masked = model.Forward(images, mask);
        var full = model.Forward(images);

        var ids = masked.TokenIds.data<long>().ToArray();
        var fullIds = full.TokenIds.data<long>().ToArray();
        var m = mask.flatten().data<bool>().ToArray();
        Assert.Contains(true, m);
        for (int i = 0; i < ids.Length; i++) Assert.Equal(m[i] ? -1 : fullIds[i], ids[i]);
        // Decoding with the masked words zeroed is exactly what the decoder gives for those codes.
        var codes = model.Quantizer.Lookup(full.TokenIds).masked_fill(mask.unsqueeze(-1), 0f);
        Assert.True(model.Decoder.call(codes).allclose(masked.Reconstruction, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void VitEncoderTrainsAndItsBundlePassesParity()
    {
        var tiny = TinyLqae.Recipe(steps: 8);
        var recipe = tiny with { Encoder = tiny.Encoder with { Type = Recipes.EncoderType.Vit, Channels = 16, Heads = 2, Depth = 1 } };
        using var model = TrainTiny(recipe, seed: 4, "v");
        var export = ExportAndVerify(model, "vit-bundle");
        Assert.Contains("MatMul", export.Graph("encoder").Model.Graph.Node.Select(n => n.OpType));
    }

    [Theory]
    [InlineData(Recipes.EncoderType.Conv)]
    [InlineData(Recipes.EncoderType.Vit)]
    public void CoarseTokensComeFirstFromTheirVocabularyAndTheBundlePassesParity(Recipes.EncoderType encoder)
    {
        var tiny = TinyLqae.Recipe(steps: 8);
        var recipe = tiny with
        {
            Encoder = tiny.Encoder with { Type = encoder, Heads = 2, Depth = 1 },
            GlobalTokens = new Recipes.GlobalTokensSection { Count = 3, Vocabulary = 5 },
        };
        using var model = TrainTiny(recipe, seed: 6, "g");
        using var images = ImageTensors.Normalised(TinyLqae.Images(), recipe.Data);

        var ids = model.Encode(images);                                                 // (B, 3 + h·w)
        Assert.Equal(recipe.TokensPerImage, ids.shape[1]);
        Assert.True(ids.narrow(1, 0, 3).lt(5).all().item<bool>());
        // The fine positions are free to use the whole codebook, and do.
        Assert.True(ids.narrow(1, 3, ids.shape[1] - 3).ge(5).any().item<bool>());
        // The tiled search agrees with the quantizer's reference search, restriction included.
        using (no_grad())
            Assert.Equal(model.Quantizer.SearchNearest(model.Encoder.call(images)).data<long>().ToArray(), ids.data<long>().ToArray());

        var export = ExportAndVerify(model, $"coarse-{encoder}");
        Assert.Equal([3, recipe.GridSize * recipe.GridSize], export.Manifest.Tokens!.Levels!);
    }

    [Fact]
    public void PositionalVocabularyGivesEachPositionItsOwnWordsAndTheBundlePassesParity()
    {
        var tiny = TinyLqae.Recipe(steps: 8);
        var recipe = tiny with { Quantizer = tiny.Quantizer with { PositionalVocabulary = true } };
        using var model = TrainTiny(recipe, seed: 7, "p");
        using var images = ImageTensors.Normalised(TinyLqae.Images(), recipe.Data);

        var ids = model.Encode(images);                                                 // (B, 16): 64 words, 4 per position
        long n = recipe.TokensPerImage;
        var position = arange(n, dtype: ScalarType.Int64).unsqueeze(0);
        Assert.True(ids.remainder(n).eq(position).all().item<bool>());
        Assert.True(ids.lt(64 / n * n).all().item<bool>());
        // The batched positional search agrees with the quantizer's reference search over the masked full scores.
        using (no_grad())
            Assert.Equal(model.Quantizer.SearchNearest(model.Encoder.call(images)).data<long>().ToArray(), ids.data<long>().ToArray());

        var export = ExportAndVerify(model, "positional");
        // The codes are stored once, in the per-position layout: the graph holds no full codebook copy besides.
        long stored = export.Graph("quantizer").Model.Graph.Initializer.Where(t => t.DataType == (int)OnnxElementType.Float)
            .Sum(t => t.Dims.Aggregate(1L, (x, y) => x * y));
        Assert.InRange(stored, 64 / n * n * 8, 2 * 64 * 8 - 1);                        // (P, S, D) table + a few scalars
    }

    /// <summary>A tiny model trained from <paramref name="recipe"/> with its checkpoint and log named <paramref name="name"/>.</summary>
    private LqaeModel TrainTiny(LqaeRecipe recipe, int seed, string name)
    {
        manual_seed(seed);
        var model = new LqaeModel(recipe, TinyLqae.Codebook());
        var result = TinyLqae.Train(recipe, model, new TrainerOptions(Path.Combine(dir, $"{name}.lbck"), Path.Combine(dir, $"{name}.jsonl")));
        Assert.Equal(recipe.Training.Steps, result.StepsCompleted);
        return model;
    }

    /// <summary>Exports <paramref name="model"/> as a bundle and checks it against TorchSharp on the tiny images: every id identical.</summary>
    private BundleExport ExportAndVerify(LqaeModel model, string name)
    {
        var kind = TinyLqae.Kind(model);
        var export = BundleExporter.Export(kind, Path.Combine(dir, name));
        using var images = ImageTensors.Normalised(TinyLqae.Images(), model.Recipe.Data);
        var report = BundleVerifier.Verify(kind, export, kind.PlanVerification(images, batchSize: 16));
        Assert.True(report.Passed, report.ToJson());
        Assert.Equal(1.0, report.Checks["token_ids"].Numbers["token_match_rate"]);
        return export;
    }

    [Fact]
    public void AssignmentObjectiveTrainsDeterministically()
    {
        var tiny = TinyLqae.Recipe(steps: 6);
        var recipe = tiny with
        {
            GlobalTokens = new Recipes.GlobalTokensSection { Count = 2, Vocabulary = 8, Assignment = new Recipes.AssignmentSection { Shift = 1 } },
        };
        float[] Train(string name)
        {
            manual_seed(8);
            using var model = new LqaeModel(recipe, TinyLqae.Codebook());
            var result = TinyLqae.Train(recipe, model, new TrainerOptions(Path.Combine(dir, $"{name}.lbck"), Path.Combine(dir, $"{name}.jsonl")));
            Assert.True(result.FinalLosses.ContainsKey("assignment"));
            Assert.True(double.IsFinite(result.FinalLosses["assignment"]));
            return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        }
        Assert.Equal(Train("a1"), Train("a2"));
    }

    [Fact]
    public void CorruptCheckpointFailsClearlyAndIsLeftUntouched()
    {
        Run("c", stopAfter: 4, resume: false, initSeed: 5);
        var path = Path.Combine(dir, "c.lbck");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CheckpointException>(() => Run("c", stopAfter: null, resume: true, initSeed: 5));
        Assert.Contains("corrupt", e.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void CheckpointFromAnotherRecipeIsRefused()
    {
        Run("r", stopAfter: 4, resume: false, initSeed: 5);
        var recipe = TinyLqae.Recipe() with { Seed = 6 };
        using var model = new LqaeModel(recipe, TinyLqae.Codebook());
        var e = Assert.Throws<CheckpointException>(() =>
            TinyLqae.Train(recipe, model, new TrainerOptions(Path.Combine(dir, "r.lbck"), Path.Combine(dir, "r.jsonl"), Resume: true)));
        Assert.Contains("another recipe", e.Message);
    }

    [Fact]
    public void TruncatedCheckpointIsRejected()
    {
        Run("t", stopAfter: 4, resume: false, initSeed: 5);
        var path = Path.Combine(dir, "t.lbck");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        Assert.Throws<CheckpointException>(() => CheckpointStore.ReadHeader(path));
    }
}
