using LangBridge.Data;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Lqae;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests;

/// <summary>A tiny LQAE recipe, synthetic images and a random codebook: trains in well under a second.</summary>
internal static class TinyLqae
{
    public static LqaeRecipe Recipe(int steps = 12) => new()
    {
        Name = "tiny",
        Seed = 5,
        Data = new DataSection { ImageSize = 8, Channels = 1 },
        Codebook = new CodebookSection { Size = 64, Dimension = 8 },
        Encoder = new EncoderSection { Channels = 16, Downsample = 2, ResidualBlocks = 1, Groups = 4 },
        Decoder = new DecoderSection { Channels = 16, ResidualBlocks = 1, Groups = 4 },
        Quantizer = new QuantizerSection { VectorTile = 16, CodeTile = 24 },
        Masking = new MaskingSection { Ratio = 0.25f },
        Training = new TrainingSection { Steps = steps, BatchSize = 8, LearningRate = 0.01f, WarmupSteps = 2, CheckpointEvery = 4, LogEvery = 2, Threads = 1 },
        Evaluation = new EvaluationSection { FewShotEpisodes = 20, FewShotQueries = 1, ProbeEpochs = 2 },
    };

    public static ImageDataset Images(int count = 40, int seed = 3)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 64];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 4;
            // Class-dependent stripes plus noise, so there is something to learn.
            for (int p = 0; p < 64; p++)
                pixels[i * 64 + p] = (byte)Math.Clamp((p / 8 + labels[i]) % 4 * 60 + random.Next(30), 0, 255);
        }
        return new ImageDataset(1, 8, 8, pixels, labels, ["a", "b", "c", "d"]);
    }

    public static Tensor Codebook(int seed = 9) => randn(64, 8, generator: new Generator((ulong)seed));

    /// <summary><see cref="Codebook"/> with placeholder words w0 … w63.</summary>
    public static LanguageCodebook Words(int seed = 9)
    {
        using var vectors = Codebook(seed);
        return new LanguageCodebook(Enumerable.Range(0, 64).Select(i => $"w{i}").ToArray(), vectors.data<float>().ToArray(), 8);
    }

    /// <summary>Trains <paramref name="model"/> on <paramref name="images"/> (default: <see cref="Images"/>) with the generic trainer and LQAE's task.</summary>
    public static TrainingResult Train(LqaeRecipe recipe, LqaeModel model, TrainerOptions options, ImageDataset? images = null)
    {
        // As the CLI does: the recipe's thread count (1 here), so resumed and uninterrupted runs sum alike.
        if (recipe.Training.ResolveThreads(0) is > 0 and var threads) set_num_threads(threads);
        using var task = new LqaeTrainingTask(recipe, model, images ?? Images());
        return new Trainer(LqaeKindModel.PlanFor(recipe), recipe.Seed, model, task, CheckpointIdentity.Of(recipe)).Train(options);
    }

    /// <summary>The pipeline's view of a trained tiny model (not disposed with it: the caller owns <paramref name="model"/>).</summary>
    public static LqaeKindModel Kind(LqaeModel model) => new(model.Recipe, model, Words(), codebookIsReal: false);
}
