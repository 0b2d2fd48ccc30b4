namespace LangBridge.Runtime;

/// <summary>
/// The nearest words of images with a VLAP bundle: the image encoder's pooled feature becomes soft tokens through
/// the bridge, and the <c>words</c> graph scores their mean against every unit word embedding of the frozen LM
/// (cosine); the best-scoring tokens come back with their text. Thread-safe by a gate, one call at a time.
/// </summary>
public sealed class ImageToWords : IDisposable
{
    /// <summary>Graph role: soft tokens → cosine scores against every word.</summary>
    public const string WordsRole = "words";

    private readonly BundleGraph _encoder, _bridge, _words;
    private readonly CallGate _gate = new(nameof(ImageToWords));
    private readonly object _lock = new();
    private readonly string[] _texts;

    private ImageToWords(ModelBundle bundle, BytePairTokenizer tokenizer, IReadOnlyList<BundleGraph> graphs)
    {
        Bundle = bundle;
        Tokenizer = tokenizer;
        (_encoder, _bridge, _words) = (graphs[0], graphs[1], graphs[2]);
        Image = bundle.Manifest.Image ?? throw new BundleFormatException(ManifestJson.FileName, "a VLAP bundle describes its image in the manifest; this one does not.");
        _texts = Enumerable.Range(0, tokenizer.Vocabulary.Count).Select(id => tokenizer.Decode([id]).Trim()).ToArray();
    }

    /// <summary>The loaded bundle.</summary>
    public ModelBundle Bundle { get; }
    /// <summary>The LM's tokenizer, whose tokens the scores index.</summary>
    public BytePairTokenizer Tokenizer { get; }
    /// <summary>The image the encoder reads (size, channels, normalisation).</summary>
    public ImageSpec Image { get; }
    /// <summary>Where the words graph runs, and why.</summary>
    public ProviderChoice ExecutionProvider => _words.Provider;

    /// <summary>Opens a <c>vlap</c> bundle folder.</summary>
    /// <exception cref="BundleFormatException">The bundle is not a VLAP bundle, or one of its files is malformed.</exception>
    public static ImageToWords Open(string bundleDirectory, RuntimeOptions? options = null) => Create(ModelBundle.Load(bundleDirectory), options);

    /// <summary>Creates the word ranker over a loaded bundle.</summary>
    public static ImageToWords Create(ModelBundle bundle, RuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        options ??= RuntimeOptions.Default;
        options.Validate();
        if (bundle.Manifest.Kind != BundleKinds.Vlap)
        {
            throw new BundleFormatException(ManifestJson.FileName,
                $"Bundle '{bundle.Manifest.Name}' is of kind \"{bundle.Manifest.Kind}\"; ImageToWords serves [{BundleKinds.Vlap}]. Use the API for that kind.");
        }
        var (_, tokenizer) = Captioner.ReadSettings(bundle);
        var graphs = BundleGraph.OpenAll(bundle, [Captioner.EncoderRole, Captioner.BridgeRole, WordsRole], options);
        return new ImageToWords(bundle, tokenizer, graphs);
    }

    /// <summary>The <paramref name="top"/> best-scoring words of <paramref name="image"/>, best first.</summary>
    /// <exception cref="InputShapeException">The image's size or channel count differs from the bundle's.</exception>
    public IReadOnlyList<WordScore> Words(PixelImage image, int top = 10) => Words([image], top)[0];

    /// <summary>The <paramref name="top"/> best-scoring words of each image, best first, in one batch through the graphs.</summary>
    /// <exception cref="InputShapeException">An image's size or channel count differs from the bundle's.</exception>
    public IReadOnlyList<IReadOnlyList<WordScore>> Words(IReadOnlyList<PixelImage> images, int top = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var scores = Scores(images);
        int vocab = _texts.Length;
        top = Math.Min(top, vocab);
        var result = new IReadOnlyList<WordScore>[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            int offset = i * vocab;
            result[i] = TopIndices(scores.AsSpan(offset, vocab), top).Select(id => new WordScore(id, _texts[id], scores[offset + id])).ToArray();
        }
        return result;
    }

    /// <summary>Every word's cosine score for each image: (images × vocabulary) floats, row by row.</summary>
    /// <exception cref="InputShapeException">An image's size or channel count differs from the bundle's.</exception>
    public float[] Scores(IReadOnlyList<PixelImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("at least one image", nameof(images));
        foreach (var image in images)
        {
            ArgumentNullException.ThrowIfNull(image);
            ImageNormalizer.RequireShape(image, Image);
        }
        _gate.Enter();
        try
        {
            lock (_lock) return Run(images);
        }
        finally
        {
            _gate.Exit();
        }
    }

    private float[] Run(IReadOnlyList<PixelImage> images)
    {
        int n = images.Count, size = Image.ElementCount;
        var pixels = new float[n * size];
        for (int i = 0; i < n; i++) ImageNormalizer.Normalize(images[i], Image, pixels.AsSpan(i * size, size));
        using var input = GraphTensor.FromMemory("image", pixels.AsMemory(), n, Image.Channels, Image.Height, Image.Width);
        using var features = _encoder.Run([input]);
        using var soft = _bridge.Run([features[0]]);
        using var words = _words.Run([soft[0]]);
        return words[0].ToArray<float>();                                                           // (n, V)
    }

    /// <summary>Indices of the <paramref name="k"/> largest values, largest first (ties: lower index first).</summary>
    private static int[] TopIndices(ReadOnlySpan<float> values, int k)
    {
        var best = new List<int>(k + 1);
        for (int i = 0; i < values.Length; i++)
        {
            if (best.Count == k && values[i] <= values[best[^1]]) continue;
            int at = best.Count;
            while (at > 0 && values[i] > values[best[at - 1]]) at--;
            best.Insert(at, i);
            if (best.Count > k) best.RemoveAt(k);
        }
        return [.. best];
    }

    /// <summary>Releases the sessions; a call in progress finishes first.</summary>
    public void Dispose()
    {
        if (!_gate.Close()) return;
        _encoder.Dispose();
        _bridge.Dispose();
        _words.Dispose();
    }
}
