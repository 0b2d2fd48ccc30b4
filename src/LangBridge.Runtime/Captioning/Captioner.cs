using System.Collections.Immutable;
using System.Text;

namespace LangBridge.Runtime;

/// <summary>
/// Captions images with a LiMBeR bundle: the image encoder's pooled feature becomes soft tokens through the bridge,
/// the prompt's embeddings follow, and the frozen LM continues them one token a step through its key/value cache
/// (the decoding graph's presents fed back as the next step's past), greedily or by seeded temperature/top-p
/// sampling, until end of text, the token limit or the context's end. Tokens can be streamed to the caller as they
/// come; a cancellation token stops between steps. One call at a time per instance; thread-safe by a gate.
/// </summary>
public sealed class Captioner : IDisposable
{
    /// <summary>Graph role: normalised image → pooled feature.</summary>
    public const string EncoderRole = "image_encoder";
    /// <summary>Graph role: pooled feature → soft tokens in the LM's input space.</summary>
    public const string BridgeRole = "bridge";
    /// <summary>Graph role: token ids → the LM's input embeddings.</summary>
    public const string EmbeddingsRole = "token_embeddings";
    /// <summary>Graph role: input embeddings, attention mask and past keys/values → logits and presents.</summary>
    public const string LanguageModelRole = "language_model";
    /// <summary>Asset role of <c>captioner.json</c>.</summary>
    public const string SettingsAsset = "captioner";

    private readonly BundleGraph _encoder, _bridge, _embeddings, _lm;
    private readonly CallGate _gate = new(nameof(Captioner));
    private readonly object _lock = new();

    private Captioner(ModelBundle bundle, CaptionerSettings settings, BytePairTokenizer tokenizer, IReadOnlyList<BundleGraph> graphs)
    {
        Bundle = bundle;
        Settings = settings;
        Tokenizer = tokenizer;
        (_encoder, _bridge, _embeddings, _lm) = (graphs[0], graphs[1], graphs[2], graphs[3]);
        Image = bundle.Manifest.Image ?? throw new BundleFormatException(ManifestJson.FileName, "a captioning bundle describes its image in the manifest; this one does not.");
    }

    /// <summary>The loaded bundle.</summary>
    public ModelBundle Bundle { get; }
    /// <summary>The bundle's <c>captioner.json</c>.</summary>
    public CaptionerSettings Settings { get; }
    /// <summary>The LM's byte-level BPE tokenizer (the bundle's <c>vocab.json</c> and <c>merges.txt</c>).</summary>
    public BytePairTokenizer Tokenizer { get; }
    /// <summary>The image the encoder reads (size, channels, normalisation).</summary>
    public ImageSpec Image { get; }
    /// <summary>Where the language model runs, and why.</summary>
    public ProviderChoice ExecutionProvider => _lm.Provider;

    /// <summary>Opens a <c>limber</c> bundle folder.</summary>
    /// <exception cref="BundleFormatException">The bundle is not a captioning bundle, or one of its files is malformed.</exception>
    public static Captioner Open(string bundleDirectory, RuntimeOptions? options = null) => Create(ModelBundle.Load(bundleDirectory), options);

    /// <summary>Creates a captioner over a loaded bundle.</summary>
    public static Captioner Create(ModelBundle bundle, RuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        options ??= RuntimeOptions.Default;
        options.Validate();
        if (!BundleKinds.Captioning.Contains(bundle.Manifest.Kind))
        {
            throw new BundleFormatException(ManifestJson.FileName,
                $"Bundle '{bundle.Manifest.Name}' is of kind \"{bundle.Manifest.Kind}\"; Captioner serves [{string.Join(", ", BundleKinds.Captioning)}]. Use the API for that kind.");
        }
        var (settings, tokenizer) = ReadSettings(bundle);
        var graphs = BundleGraph.OpenAll(bundle, [EncoderRole, BridgeRole, EmbeddingsRole, LanguageModelRole], options);
        return new Captioner(bundle, settings, tokenizer, graphs);
    }

    /// <summary>A captioning bundle's <c>captioner.json</c> and the tokenizer of the BPE files it names, checked against each other.</summary>
    internal static (CaptionerSettings Settings, BytePairTokenizer Tokenizer) ReadSettings(ModelBundle bundle)
    {
        var file = bundle.GetAsset(SettingsAsset).File;
        var settings = CaptionerSettings.Parse(bundle.ReadVerifiedBytes(file), file);
        BytePairVocabulary vocabulary;
        try
        {
            vocabulary = BytePairVocabulary.Parse(Encoding.UTF8.GetString(bundle.ReadVerifiedBytes(settings.Vocab)), Encoding.UTF8.GetString(bundle.ReadVerifiedBytes(settings.Merges)));
        }
        catch (FormatException e)
        {
            throw new BundleFormatException(settings.Vocab, $"the bundle's BPE files are malformed: {e.Message}", e);
        }
        if (vocabulary.Count != settings.VocabSize || vocabulary.EndOfTextId != settings.EndOfTextId)
            throw new BundleFormatException(file, $"'{file}' says {settings.VocabSize} tokens with end of text {settings.EndOfTextId}; the vocabulary has {vocabulary.Count} and {vocabulary.EndOfTextId}.");
        return (settings, new BytePairTokenizer(vocabulary));
    }

    /// <summary>
    /// Captions one image (8-bit pixels at the bundle's size and channels). <paramref name="onText"/> receives the
    /// caption's text as it grows, piece by piece (whole characters only).
    /// </summary>
    /// <exception cref="InputShapeException">The image's size or channel count differs from the bundle's.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled between two steps.</exception>
    public Caption Describe(PixelImage image, SamplingOptions? options = null, Action<string>? onText = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= SamplingOptions.Greedy;
        options.Validate();
        CheckImage(image);
        _gate.Enter();
        try
        {
            lock (_lock) return Generate(image, options, onText, cancellation);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>
    /// What the LM reads first for <paramref name="image"/>: its soft tokens, then the prompt's embeddings,
    /// (k + P) × D floats in order (the image encoder, the bridge and the token embeddings run once each).
    /// </summary>
    /// <exception cref="InputShapeException">The image's size or channel count differs from the bundle's.</exception>
    public float[] Prefix(PixelImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckImage(image);
        _gate.Enter();
        try
        {
            lock (_lock) return ReadPrefix(image);
        }
        finally
        {
            _gate.Exit();
        }
    }

    private float[] ReadPrefix(PixelImage image)
    {
        var pixels = new float[Image.ElementCount];
        ImageNormalizer.Normalize(image, Image, pixels);
        float[] features;
        using (var input = GraphTensor.FromMemory("image", pixels.AsMemory(), 1, Image.Channels, Image.Height, Image.Width))
        using (var outs = _encoder.Run([input]))
            features = outs[0].ToArray<float>();
        float[] soft;
        using (var input = GraphTensor.FromMemory("features", features.AsMemory(), 1, features.Length))
        using (var outs = _bridge.Run([input]))
            soft = outs[0].ToArray<float>();                                                       // (1, k, D)
        return [.. soft, .. Embed(Settings.PromptIds)];                                            // (1, k + P, D)
    }

    private void CheckImage(PixelImage image) => ImageNormalizer.RequireShape(image, Image);

    private Caption Generate(PixelImage image, SamplingOptions options, Action<string>? onText, CancellationToken cancellation)
    {
        var s = Settings;
        var embeds = ReadPrefix(image);
        long length = s.SoftTokens + s.PromptIds.Length, read = 0;
        var past = Enumerable.Range(0, 2 * s.Layers).Select(_ => Array.Empty<float>()).ToArray();
        var sampler = new TokenSampler(options);
        var ids = new List<int>();
        string shown = "";
        bool ended = false;
        int steps = (int)Math.Min(options.MaxTokens, s.ContextLength - length);
        for (int t = 0; t < steps; t++)
        {
            cancellation.ThrowIfCancellationRequested();
            long fresh = embeds.Length / s.Width;
            var logits = Step(embeds, fresh, read, past);
            read += fresh;
            int next = sampler.Next(logits);
            if (next == s.EndOfTextId && options.StopAtEndOfText) { ended = true; break; }
            ids.Add(next);
            if (onText is not null)
            {
                var text = Tokenizer.Decode(ids);
                // Hold back a character still missing bytes (it decodes as U+FFFD until its last byte comes).
                if (!text.EndsWith('\uFFFD') && text.Length > shown.Length && text.StartsWith(shown, StringComparison.Ordinal))
                {
                    onText(text[shown.Length..]);
                    shown = text;
                }
            }
            embeds = Embed([next]);
        }
        return new Caption(Tokenizer.Decode(ids), [.. ids], ended);
    }

    private float[] Embed(IReadOnlyList<long> ids)
    {
        var data = ids.ToArray();
        using var input = GraphTensor.FromMemory("input_ids", data.AsMemory(), 1, data.Length);
        using var outs = _embeddings.Run([input]);
        return outs[0].ToArray<float>();
    }

    /// <summary>One decoding step: <paramref name="fresh"/> new positions after <paramref name="read"/> cached ones; the last position's logits; the cache replaced by the presents.</summary>
    private float[] Step(float[] embeds, long fresh, long read, float[][] past)
    {
        var s = Settings;
        var mask = Enumerable.Repeat(1L, (int)(read + fresh)).ToArray();
        var inputs = new List<GraphTensor>
        {
            GraphTensor.FromMemory("inputs_embeds", embeds.AsMemory(), 1, fresh, s.Width),
            GraphTensor.FromMemory("attention_mask", mask.AsMemory(), 1, read + fresh),
        };
        for (int i = 0; i < s.Layers; i++)
            for (int v = 0; v < 2; v++)
                inputs.Add(GraphTensor.FromMemory($"past_key_values.{i}.{(v == 0 ? "key" : "value")}", past[2 * i + v].AsMemory(), 1, s.Heads, read, s.HeadSize));
        try
        {
            using var outs = _lm.Run(inputs);
            for (int i = 0; i < 2 * s.Layers; i++) past[i] = outs[1 + i].ToArray<float>();
            var logits = outs[0].GetData<float>();
            int vocab = (int)outs[0].Shape[2];
            return logits.Slice((int)((fresh - 1) * vocab), vocab).ToArray();
        }
        finally
        {
            foreach (var t in inputs) t.Dispose();
        }
    }

    /// <summary>Releases the sessions; a call in progress finishes first.</summary>
    public void Dispose()
    {
        if (!_gate.Close()) return;
        _encoder.Dispose();
        _bridge.Dispose();
        _embeddings.Dispose();
        _lm.Dispose();
    }
}
