using System.Security.Cryptography;
using LangBridge.Data;
using LangBridge.Layers;
using LangBridge.Pretrained;
using LangBridge.Pretrained.Models;
using LangBridge.Training.Clippo;
using LangBridge.Training.Kinds;
using LangBridge.Training.Lqae;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training.Limber;

/// <summary>Pooled features of one frozen encoder for the training and test images, and where they came from.</summary>
/// <param name="Source">What produced them (checkpoint hash or seed), recorded with the cache and the bridge.</param>
public sealed record EncoderFeatureSet(LimberEncoder Encoder, float[] Train, float[] Test, int Dimension, string Source);

/// <summary>
/// Computes each encoder's pooled image feature once and caches it (<c>features/{encoder}.safetensors</c> in the
/// run's checkpoint folder, keyed by the encoder's source and the image counts): LQAE encoders (random or trained)
/// give the mean of their latents over the grid, ResNet-18 its 512-d pooled feature of the image resized to 224²,
/// CLIPPO its unit image embedding.
/// </summary>
public static class EncoderFeatures
{
    private const int Batch = 100;

    /// <summary>The encoders of <paramref name="recipe"/> that are available (trained where they must be), with their features.</summary>
    public static IReadOnlyList<EncoderFeatureSet> Load(LimberRecipe recipe, KindContext context, ImageDataset train, ImageDataset test, string cacheDir)
    {
        var sets = new List<EncoderFeatureSet>();
        foreach (var encoder in recipe.Encoders)
        {
            var source = Describe(recipe, encoder, context);
            if (source is null) continue;
            var cache = Path.Combine(cacheDir, $"{encoder.Key()}.safetensors");
            if (TryRead(cache, source, train.Count, test.Count) is { } cached)
            {
                sets.Add(cached with { Encoder = encoder });
                continue;
            }
            context.Report($"{encoder}: features of {train.Count:N0} training and {test.Count:N0} test images ({source})...");
            using var extractor = Extractor(recipe, encoder, context);
            var trainFeatures = Compute(extractor, train);
            var testFeatures = Compute(extractor, test);
            int d = trainFeatures.Length / train.Count;
            Directory.CreateDirectory(cacheDir);
            Safetensors.WriteFile(cache, [SafeTensor.Float32("train", [train.Count, d], trainFeatures), SafeTensor.Float32("test", [test.Count, d], testFeatures)],
                new Dictionary<string, string> { ["source"] = source });
            sets.Add(new EncoderFeatureSet(encoder, trainFeatures, testFeatures, d, source));
        }
        if (sets.Count == 0) throw new TrainingException("none of the recipe's encoders is available: train their recipes first");
        return sets;
    }

    /// <summary>What the encoder's features come from, or null (reported) when its checkpoint is not trained yet.</summary>
    private static string? Describe(LimberRecipe recipe, LimberEncoder encoder, KindContext context)
    {
        string? Checkpoint(string recipePath)
        {
            var r = KindRegistry.Default.LoadRecipe(context.Resolve(recipePath));
            var path = context.Run(r.Name).Checkpoint;
            if (File.Exists(path)) return "checkpoint " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))[..16];
            context.Report($"{encoder}: {r.Name} is not trained yet ({path}): left out");
            return null;
        }
        return encoder switch
        {
            LimberEncoder.Random => $"random lqae encoder, seed {recipe.Seed}",
            LimberEncoder.Lqae => Checkpoint(recipe.EncoderRecipes.Lqae),
            LimberEncoder.Clippo => Checkpoint(recipe.EncoderRecipes.Clippo),
            LimberEncoder.Resnet18 => "imported ResNet-18 (ImageNet)",
            _ => throw new ArgumentOutOfRangeException(nameof(encoder)),
        };
    }

    private static EncoderFeatureSet? TryRead(string path, string source, int trainCount, int testCount)
    {
        if (!File.Exists(path)) return null;
        using var file = Safetensors.Open(path);
        if (!file.Metadata.TryGetValue("source", out var s) || s != source) return null;
        var train = file.Get("train");
        if (train.Shape[0] != trainCount || file.Get("test").Shape[0] != testCount) return null;
        return new EncoderFeatureSet(default, file.ReadFloat32("train"), file.ReadFloat32("test"), (int)train.Shape[1], source);
    }

/// <summary>
    /// A frozen encoder as one module from normalised grey images (N, 1, H, W), <c>(p/255 − Mean)/Std</c>, to pooled
    /// features (N, F): what the captioning bundle exports. <see cref="Owner"/> holds what must live as long as it.
    /// </summary>
    public sealed record PooledEncoder(nn.Module<Tensor, Tensor> Module, float Mean, float Std, IDisposable Owner) : IDisposable
    {
        public void Dispose() => Owner.Dispose();
    }

    /// <summary>The pooled encoder of <paramref name="encoder"/> (random, LQAE or CLIPPO; ResNet-18 reads 224² RGB and has none).</summary>
    public static PooledEncoder Pooled(LimberRecipe recipe, LimberEncoder encoder, KindContext context)
    {
        switch (encoder)
        {
            case LimberEncoder.Random:
            case LimberEncoder.Lqae:
            {
                var r = (LqaeRecipe)KindRegistry.Default.LoadRecipe(context.Resolve(recipe.EncoderRecipes.Lqae));
                manual_seed(recipe.Seed);
                var model = (LqaeKindModel)new LqaeKind().Create(r, context);
                if (encoder == LimberEncoder.Lqae) model.LoadWeights(context.Run(r.Name).Checkpoint);
                model.Module.eval();
                var pooled = nn.Sequential(("encoder", (nn.Module<Tensor, Tensor>)model.Model.Encoder), ("pool", new MeanPool()));   // (N, D): mean over the grid
                return new PooledEncoder(pooled, r.Data.Mean, r.Data.Std, model);
            }
            case LimberEncoder.Clippo:
            {
                var r = KindRegistry.Default.LoadRecipe(context.Resolve(recipe.EncoderRecipes.Clippo));
                var model = (ClippoKindModel)KindRegistry.Default.KindOf(r).Create(r, context);
                model.LoadWeights(context.Run(r.Name).Checkpoint);
                return new PooledEncoder(model.Model.ImageEncoder, ClippoText.Mean, ClippoText.Std, model);                               // (N, E)
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(encoder), encoder, "only the random, LQAE and CLIPPO encoders take 28-pixel grey images as they are");
        }
    }

    /// <summary>A frozen module mapping 8-bit grey images (N, 1, 28, 28) as floats in [0, 255] to pooled features (N, F).</summary>
    private sealed class FeatureExtractor(Func<Tensor, Tensor> run, IDisposable owner) : IDisposable
    {
        public Tensor Run(Tensor pixels) => run(pixels);
        public void Dispose() => owner.Dispose();
    }

    private static FeatureExtractor Extractor(LimberRecipe recipe, LimberEncoder encoder, KindContext context)
    {
        if (encoder != LimberEncoder.Resnet18)
        {
            var pooled = Pooled(recipe, encoder, context);
            return new FeatureExtractor(p => pooled.Module.call(p.div(255f).sub(pooled.Mean).div(pooled.Std)), pooled);
        }
        var resnet = PretrainedSources.FrozenResNet18(PretrainedSources.ResNet18FromCache(context.RequireData("the ResNet-18 encoder")));
        return new FeatureExtractor(p =>
        {
            var rgb = nn.functional.interpolate(p, [ResNet18.ImageSize, ResNet18.ImageSize], mode: InterpolationMode.Bilinear, align_corners: false)
                .clamp(0, 255).round().expand(-1, 3, -1, -1).contiguous();                                                           // (N, 3, 224, 224)
            return resnet.call(rgb);                                                                                                      // (N, 512)
        }, resnet);
    }

    private static float[] Compute(FeatureExtractor extractor, ImageDataset images)
    {
        if (images.Channels != 1) throw new DataException($"LiMBeR's encoders read grey images; the dataset has {images.Channels} channels");
        using var noGrad = no_grad();
        var all = new List<float>();
        for (int start = 0; start < images.Count; start += Batch)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(Batch, images.Count - start);
            var pixels = tensor(images.Pixels.AsSpan(start * images.ImageSize, n * images.ImageSize).ToArray(), dtype: ScalarType.Byte)
                .view(n, 1, images.Height, images.Width).to_type(ScalarType.Float32);                                                       // (n, 1, H, W)
            all.AddRange(extractor.Run(pixels).contiguous().data<float>().ToArray());
        }
        return all.ToArray();
    }
}
