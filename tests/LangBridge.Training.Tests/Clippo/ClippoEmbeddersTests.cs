using LangBridge.Runtime;
using LangBridge.Training.Captions;
using LangBridge.Training.Clippo;
using LangBridge.Training.Pipeline;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests.Clippo;

/// <summary>
/// A tiny CLIPPO model (built directly, with a synthetic font and class words, so no data cache is needed)
/// exported through the pipeline's bundle exporter and served by the runtime's <see cref="ImageEmbedder"/>,
/// <see cref="TextEmbedder"/> and <see cref="ZeroShotClassifier"/>: the runtime's embeddings equal TorchSharp's
/// within fp32 tolerance for images and rendered text, and zero-shot ranks the label whose prompt matches.
/// </summary>
public sealed class ClippoEmbeddersTests : IDisposable
{
    private const float Tolerance = 1e-5f;
    private static readonly string[] Labels = ["ab", "cd", "ef"];

    private readonly ITestOutputHelper _output;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "langbridge-clippo-" + Guid.NewGuid().ToString("N"));
    private readonly ClippoKindModel _model;

    public ClippoEmbeddersTests(ITestOutputHelper output)
    {
        _output = output;
        // Images 28×28 upsampled ×2 to a 56-pixel canvas; glyphs at scale 2 (16×32 pixels: 3 characters on one line).
        var recipe = new ClippoRecipe
        {
            Name = "tiny-clippo",
            Text = new ClippoTextSection { Canvas = 56, Scale = 2 },
            Encoder = new ClippoEncoderSection { Patch = 8, Width = 32, Depth = 1, Heads = 2, Embedding = 16 },
        };
        var renderer = new TextRenderer(SyntheticFont(), new TextRenderOptions { Size = recipe.Canvas, Scale = recipe.Text.Scale });
        manual_seed(7);
        var classes = Labels.Select(l => new ClassWords(l, [], [], "")).ToArray();
        _model = new ClippoKindModel(recipe, new ClippoModel(recipe), ClippoText.Pixels(renderer), renderer, new CaptionBuilder(classes));
        _model.Model.eval();
        BundleExporter.Export(_model, _folder);
    }

    /// <summary>Every lower-case letter, the space and '?' (the fallback), each with its own pseudo-random 8×16 pattern.</summary>
    private static UnifontFont SyntheticFont()
    {
        var random = new Random(5);
        var lines = "abcdefghijklmnopqrstuvwxyz?".Select(c =>
            $"{(int)c:X4}:" + string.Concat(Enumerable.Range(0, 16).Select(_ => random.Next(1, 256).ToString("X2"))));
        return UnifontFont.Read(new StringReader(string.Join("\n", lines.Append("0020:" + new string('0', 32)))), "synthetic.hex");
    }

    private float[][] TorchRows(Tensor embeddings)
    {
        var e = (int)embeddings.shape[1];
        var flat = embeddings.data<float>().ToArray();
        return Enumerable.Range(0, (int)embeddings.shape[0]).Select(i => flat[(i * e)..((i + 1) * e)]).ToArray();
    }

    private float[][] TorchImages(byte[] pixels, int count)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(pixels, dtype: ScalarType.Byte).view(count, 1, 28, 28).to_type(ScalarType.Float32).div_(255f).sub_(ClippoText.Mean).div_(ClippoText.Std);
        return TorchRows(_model.Model.ImageEncoder.call(x));
    }

    private float[][] TorchTexts(IReadOnlyList<string> texts)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return TorchRows(_model.Model.Encoder.call(_model.Text.Inputs(texts)));
    }

    private static float MaxAbs(float[] a, IReadOnlyList<float> b) => a.Select((x, i) => MathF.Abs(x - b[i])).Max();

    private static byte[] RandomPixels(int count, int seed)
    {
        var pixels = new byte[count * 28 * 28];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    [Fact]
    public void ImageEmbeddings_EqualTorchSharps()
    {
        const int n = 5;
        var pixels = RandomPixels(n, 1);
        var reference = TorchImages(pixels, n);
        using var embedder = ImageEmbedder.Open(_folder);
        Assert.Equal(16, embedder.Dimension);
        var images = Enumerable.Range(0, n).Select(i => new PixelImage(28, 28, 1, pixels.AsMemory(i * 784, 784))).ToArray();
        var embedded = embedder.Embed(images);
        var normalised = pixels.Select(p => (p / 255f - ClippoText.Mean) / ClippoText.Std).ToArray();
        var fromFloats = embedder.Embed(normalised, n, 1, 28, 28);
        for (var i = 0; i < n; i++)
        {
            var error = Math.Max(MaxAbs(reference[i], embedded[i].Vector), MaxAbs(reference[i], fromFloats[i].Vector));
            _output.WriteLine($"image {i}: max abs {error:g3}");
            Assert.True(error < Tolerance, $"image {i}: max abs difference {error}");
            Assert.False(embedded[i].Truncated);
        }

        Assert.Throws<InputShapeException>(() => embedder.Embed(new PixelImage(27, 28, 1, new byte[27 * 28])));
    }

    [Fact]
    public void RenderedTextEmbeddings_EqualTorchSharps_AndCutsAreReported()
    {
        string[] texts = ["ab", "Cde", "ab cd", "", "x?y"];
        var reference = TorchTexts(texts);
        using var embedder = TextEmbedder.Open(_folder);
        Assert.Equal((BundleKinds.Clippo, 16, 56), (embedder.Kind, embedder.Dimension, embedder.MaxLength));
        Assert.NotNull(embedder.Renderer);
        var embedded = embedder.Embed(texts);
        for (var i = 0; i < texts.Length; i++)
        {
            var error = MaxAbs(reference[i], embedded[i].Vector);
            _output.WriteLine($"\"{texts[i]}\": max abs {error:g3}");
            Assert.True(error < Tolerance, $"text {i}: max abs difference {error}");
        }

        Assert.Equal([false, false, true, false, false], embedded.Select(e => e.Truncated));    // "ab cd": one line of three glyphs
        Assert.True(embedded[0].Similarity(embedded[1]) < 0.9999f, "different texts must not embed alike");
    }

    [Fact]
    public void ZeroShot_ScoresEqualTorchSharps_WithTheHeldOutPrompts()
    {
        const int n = 6;
        var pixels = RandomPixels(n, 2);
        var images = TorchImages(pixels, n);
        var classes = new ClippoEmbeddings(_model.Model, _model.Text).Classes(Labels.Select(l => ZeroShotPrompts.For(l)).ToArray());
        using var imageEmbedder = ImageEmbedder.Open(_folder);
        using var textEmbedder = TextEmbedder.Open(_folder);
        var classifier = new ZeroShotClassifier(textEmbedder, Labels);
        Assert.Equal(ZeroShotClassifier.DefaultTemperature, classifier.Temperature);
        var ranked = classifier.Classify(imageEmbedder.Embed(Enumerable.Range(0, n).Select(i => new PixelImage(28, 28, 1, pixels.AsMemory(i * 784, 784))).ToArray()));
        for (var i = 0; i < n; i++)
        {
            var expected = classes.Select(c => ClippoEmbeddings.Dot(images[i], c)).ToArray();
            Assert.Equal(Labels.Length, ranked[i].Count);
            foreach (var score in ranked[i]) Assert.Equal(expected[Array.IndexOf(Labels, score.Label)], score.Similarity, Tolerance);
            Assert.Equal(ranked[i].Select(s => s.Similarity).OrderByDescending(s => s), ranked[i].Select(s => s.Similarity));
            Assert.Equal(1f, ranked[i].Sum(s => s.Probability), 5);
            var softmax = Math.Exp(10 * ranked[i][0].Similarity) / expected.Sum(s => Math.Exp(10 * s));
            Assert.Equal((float)softmax, ranked[i][0].Probability, 5);
        }
    }

    [Fact]
    public void ZeroShot_RanksTheLabelWhosePromptIsTheImageFirst()
    {
        using var imageEmbedder = ImageEmbedder.Open(_folder);
        using var textEmbedder = TextEmbedder.Open(_folder);
        var classifier = new ZeroShotClassifier(textEmbedder, Labels, templates: ["{label}"]);
        foreach (var label in Labels)
        {
            // Glyph pixels at scale 2 are 2×2 blocks on even coordinates, so every other pixel of the drawn label
            // is a 28×28 image that the ×2 upsampling turns back into exactly the canvas the text encoder reads.
            var canvas = textEmbedder.Renderer!.Render(label).Pixels;
            var image = new byte[28 * 28];
            for (var y = 0; y < 28; y++)
                for (var x = 0; x < 28; x++) image[y * 28 + x] = canvas[2 * y * 56 + 2 * x];
            var ranked = classifier.Classify(imageEmbedder.Embed(new PixelImage(28, 28, 1, image)));
            _output.WriteLine($"{label}: " + string.Join(", ", ranked.Select(s => $"{s.Label} {s.Similarity:F6} ({s.Probability:F3})")));
            Assert.Equal(label, ranked[0].Label);
            Assert.Equal(1f, ranked[0].Similarity, 4);
        }
    }

    [Fact]
    public void DefaultPrompts_AreTheTrainingsHeldOutZeroShotPrompts()
    {
        var names = ClassWords.FashionMnistSynsets.Select(c => c.Class).ToArray();
        var captions = new CaptionBuilder(names.Select(n => new ClassWords(n, [], [], "")).ToArray());
        for (var c = 0; c < names.Length; c++)
        {
            Assert.Equal(captions.ClassPrompts(c), ZeroShotPrompts.For(names[c]));
        }

        Assert.Equal("an image of an ankle boot", ZeroShotPrompts.Fill("an image of a {label}", "ankle boot"));
    }

    [Fact]
    public void ClippoBundle_IsRefusedByTheOtherKindsApis_AndBadLabelsAreTypedErrors()
    {
        Assert.Contains("ImageTokenizer serves", Assert.Throws<BundleFormatException>(() => ImageTokenizer.Open(_folder)).Message);
        using var textEmbedder = TextEmbedder.Open(_folder);
        Assert.Throws<InvalidInputException>(() => new ZeroShotClassifier(textEmbedder, ["ab", "ab"]));
        Assert.Throws<InvalidInputException>(() => new ZeroShotClassifier(textEmbedder, []));
        Assert.Throws<InvalidInputException>(() => new ZeroShotClassifier(textEmbedder, ["ab"], templates: ["no placeholder"]));
    }

    public void Dispose()
    {
        _model.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
