using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;

namespace LangBridge.Runtime;

/// <summary>
/// Turns images into words of a language model's vocabulary and back, for bundles of kind
/// <c>lqae</c> (encoder → quantizer → decoder), a thin wrapper over the bundle's <see cref="BundleGraph"/>s
/// whose tensors it finds by meaning (<see cref="TensorMeaning"/>). A bundle with a frozen BERT
/// (graphs <c>bert</c> and <c>hidden_decoder</c>) decodes through the BERT's hidden states and gives, on
/// request, the BERT's features of encoded images (<see cref="EncodeWithFeatures(IReadOnlyList{PixelImage})"/>). Thread-safe: any number of threads may call
/// <c>Encode</c>/<c>Decode</c> concurrently on one instance. Dispose it to release the native
/// sessions.
/// </summary>
/// <example><code>
/// using var tokenizer = ImageTokenizer.Open("bundles/lqae-fashion", new RuntimeOptions { Log = Console.WriteLine });
/// TokenizedImage tokens = tokenizer.Encode(pixelImage);        // 8-bit pixels, already at the bundle's size
/// Console.WriteLine(tokens.Text);                              // "shoe lace sole ..."
/// DecodedImage image = tokenizer.Decode(tokens.TokenIds.AsSpan());
/// </code></example>
public sealed class ImageTokenizer : IDisposable
{
    /// <summary>The bundle kinds this API serves.</summary>
    public static readonly IReadOnlyList<string> SupportedKinds = ["lqae"];

    private readonly BundleGraph _encoder;
    private readonly BundleGraph _quantizer;
    private readonly BundleGraph? _decoder;        // null when the bert path decodes
    private readonly BundleGraph? _bert;
    private readonly BundleGraph? _hiddenDecoder;
    private readonly LqaeLayout _layout;
    private readonly BufferPool<EncodeBuffers> _encodePool;
    private readonly BufferPool<DecodeBuffers> _decodePool;
    private readonly Lazy<Dictionary<string, long>> _wordIds;
    private readonly CallGate _gate = new(nameof(ImageTokenizer));

    private ImageTokenizer(ModelBundle bundle, LqaeLayout layout, BundleGraph encoder, BundleGraph quantizer,
        BundleGraph? decoder, BundleGraph? bert, BundleGraph? hiddenDecoder)
    {
        Bundle = bundle;
        Image = bundle.Manifest.Image!;
        Tokens = bundle.Manifest.Tokens!;
        _layout = layout;
        _encoder = encoder;
        _quantizer = quantizer;
        _decoder = decoder;
        _bert = bert;
        _hiddenDecoder = hiddenDecoder;

        var latentShape = layout.Latents.Shape.Skip(1).Select(d => d.Size!.Value).ToArray();
        var pooled = Math.Max(2, Environment.ProcessorCount);
        _encodePool = new BufferPool<EncodeBuffers>(
            batch => new EncodeBuffers(batch, Image, layout, latentShape, Tokens.PerImage, Tokens.EmbeddingDim), pooled);
        _decodePool = new BufferPool<DecodeBuffers>(batch => new DecodeBuffers(batch, Image, layout, Tokens.PerImage), pooled);
        _wordIds = new Lazy<Dictionary<string, long>>(BuildWordIndex, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The verified bundle this tokenizer runs.</summary>
    public ModelBundle Bundle { get; }

    /// <summary>The image the bundle expects and produces.</summary>
    public ImageSpec Image { get; }

    /// <summary>Token layout and vocabulary description.</summary>
    public TokenSpec Tokens { get; }

    /// <summary>The vocabulary: token id <c>i</c> is word <c>Vocabulary[i]</c>.</summary>
    public IReadOnlyList<string> Vocabulary => Bundle.Vocabulary;

    /// <summary>The execution provider the encoder runs on, and why it was chosen.</summary>
    public ProviderChoice ExecutionProvider => _encoder.Provider;

    /// <summary>Whether the bundle has a frozen BERT, so <see cref="EncodeWithFeatures(IReadOnlyList{PixelImage})"/> works.</summary>
    public bool HasBertFeatures => _bert is not null;

    /// <summary>The execution provider of each graph it runs (<c>encoder</c>, <c>quantizer</c>, then <c>decoder</c> or <c>bert</c> and <c>hidden_decoder</c>) and why.</summary>
    public IReadOnlyDictionary<string, ProviderChoice> ProviderChoices =>
        Graphs().ToDictionary(g => g.Role, g => g.Provider);

    /// <summary>Loads and verifies the bundle in <paramref name="bundleDirectory"/>, then creates the sessions.</summary>
    /// <exception cref="LangBridgeException">The bundle is damaged or unsupported, or the provider is unavailable (see the derived types).</exception>
    public static ImageTokenizer Open(string bundleDirectory, RuntimeOptions? options = null) =>
        Create(ModelBundle.Load(bundleDirectory), options);

    /// <summary>Creates the sessions for an already loaded bundle.</summary>
    /// <exception cref="BundleFormatException">The bundle is not of a kind this API serves, or its graphs do not fit it.</exception>
    /// <exception cref="ExecutionProviderUnavailableException">The requested provider is not present.</exception>
    public static ImageTokenizer Create(ModelBundle bundle, RuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        options ??= RuntimeOptions.Default;
        options.Validate();
        var m = bundle.Manifest;
        if (!SupportedKinds.Contains(m.Kind))
        {
            throw new BundleFormatException(ManifestJson.FileName,
                $"Bundle '{m.Name}' is of kind \"{m.Kind}\"; ImageTokenizer serves [{string.Join(", ", SupportedKinds)}]. Use the API for that kind.");
        }

        var layout = LqaeLayout.Resolve(m);
        // With a BERT, decoding runs bert → hidden_decoder, so a decoder graph (which would carry the BERT again) is not opened.
        if (layout.Bert is not null)
        {
            var g = BundleGraph.OpenAll(bundle, [LqaeLayout.EncoderRole, LqaeLayout.QuantizerRole, LqaeLayout.BertRole, LqaeLayout.HiddenDecoderRole], options);
            return new ImageTokenizer(bundle, layout, g[0], g[1], null, g[2], g[3]);
        }

        var graphs = BundleGraph.OpenAll(bundle, [LqaeLayout.EncoderRole, LqaeLayout.QuantizerRole, LqaeLayout.DecoderRole], options);
        return new ImageTokenizer(bundle, layout, graphs[0], graphs[1], graphs[2], null, null);
    }

    /// <summary>
    /// Encodes a batch of images already in model space: <c>N×C×H×W</c> floats, normalised as
    /// the manifest says. The memory is read in place (pinned, not copied).
    /// </summary>
    /// <exception cref="InputShapeException">Size, channel count or buffer length differ from the bundle's image.</exception>
    /// <exception cref="InvalidInputException">A value is NaN or infinite.</exception>
    public IReadOnlyList<TokenizedImage> Encode(ReadOnlyMemory<float> images, int batchSize, int channels, int height, int width) =>
        Encode(images, batchSize, channels, height, width, withFeatures: false);

    private IReadOnlyList<TokenizedImage> Encode(ReadOnlyMemory<float> images, int batchSize, int channels, int height, int width, bool withFeatures)
    {
        CheckImageShape(channels, height, width, "images");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var expected = (long)batchSize * Image.ElementCount;
        if (images.Length != expected)
        {
            throw new InputShapeException("image buffer length",
                $"{expected} floats ({batchSize} × {Image.Describe()})", $"{images.Length} floats");
        }

        CheckFinite(images.Span);
        Enter();
        try
        {
            var buffers = _encodePool.Rent(batchSize);
            try
            {
                using var input = GraphTensor.FromReadOnlyMemory(_layout.Image.Name, images, batchSize, channels, height, width);
                return RunEncode(buffers, input, batchSize, withFeatures);
            }
            finally
            {
                _encodePool.Return(batchSize, buffers);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Encodes one 8-bit image given as raw interleaved pixels (<c>H×W×C</c>, row-major, no padding)
    /// at the bundle's size and channel count.
    /// </summary>
    /// <exception cref="InputShapeException">Size, channel count or buffer length differ from the bundle's image.</exception>
    public TokenizedImage Encode(ReadOnlyMemory<byte> pixels, int width, int height, int channels) =>
        Encode(new PixelImage(width, height, channels, pixels));

    /// <summary>Encodes one 8-bit image (interleaved pixels at the bundle's size and channel count).</summary>
    /// <exception cref="InputShapeException">Size or channel count differ from the bundle's image.</exception>
    public TokenizedImage Encode(PixelImage image) => Encode([image])[0];

    /// <summary>Encodes a batch of 8-bit images (each at the bundle's size and channel count).</summary>
    /// <exception cref="InputShapeException">An image's size or channel count differs from the bundle's image.</exception>
    public IReadOnlyList<TokenizedImage> Encode(IReadOnlyList<PixelImage> images) => Encode(images, withFeatures: false);

    /// <summary>
    /// Encodes a batch of 8-bit images and reads their words with the bundle's frozen BERT: each result's
    /// <see cref="TokenizedImage.Features"/> holds the last hidden states and their mean over the positions.
    /// </summary>
    /// <exception cref="FeaturesUnavailableException">The bundle has no <c>bert</c> graph.</exception>
    /// <exception cref="InputShapeException">An image's size or channel count differs from the bundle's image.</exception>
    public IReadOnlyList<TokenizedImage> EncodeWithFeatures(IReadOnlyList<PixelImage> images) => Encode(images, withFeatures: true);

    /// <summary>Encodes one 8-bit image with its BERT features (see <see cref="EncodeWithFeatures(IReadOnlyList{PixelImage})"/>).</summary>
    /// <exception cref="FeaturesUnavailableException">The bundle has no <c>bert</c> graph.</exception>
    public TokenizedImage EncodeWithFeatures(PixelImage image) => EncodeWithFeatures([image])[0];

    /// <summary>
    /// Encodes a batch of images already in model space (as <see cref="Encode(ReadOnlyMemory{float}, int, int, int, int)"/>)
    /// with their BERT features.
    /// </summary>
    /// <exception cref="FeaturesUnavailableException">The bundle has no <c>bert</c> graph.</exception>
    public IReadOnlyList<TokenizedImage> EncodeWithFeatures(ReadOnlyMemory<float> images, int batchSize, int channels, int height, int width)
    {
        RequireBert();
        return Encode(images, batchSize, channels, height, width, withFeatures: true);
    }

    private IReadOnlyList<TokenizedImage> Encode(IReadOnlyList<PixelImage> images, bool withFeatures)
    {
        if (withFeatures)
        {
            RequireBert();
        }

        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            return [];
        }

        for (var i = 0; i < images.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(images[i], nameof(images));
            CheckImageShape(images[i].Channels, images[i].Height, images[i].Width, $"image {i}");
        }

        Enter();
        try
        {
            var batch = images.Count;
            var buffers = _encodePool.Rent(batch);
            try
            {
                var size = Image.ElementCount;
                for (var i = 0; i < batch; i++)
                {
                    ImageNormalizer.Normalize(images[i], Image, buffers.Images.Array.AsSpan(i * size, size));
                }

                return RunEncode(buffers, buffers.Images.Tensor, batch, withFeatures);
            }
            finally
            {
                _encodePool.Return(batch, buffers);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Decodes one image from its token ids (<c>tokens.perImage</c> of them).</summary>
    /// <exception cref="InputShapeException">The number of ids is wrong.</exception>
    /// <exception cref="InvalidInputException">An id is outside the vocabulary.</exception>
    public DecodedImage Decode(ReadOnlySpan<long> tokenIds) => Decode(tokenIds, 1)[0];

    /// <summary>Decodes a batch of images from their token ids, <c>batchSize × tokens.perImage</c> ids in image order.</summary>
    /// <exception cref="InputShapeException">The number of ids is not <c>batchSize × tokens.perImage</c>.</exception>
    /// <exception cref="InvalidInputException">An id is outside the vocabulary.</exception>
    public IReadOnlyList<DecodedImage> Decode(ReadOnlySpan<long> tokenIds, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var perImage = Tokens.PerImage;
        if (tokenIds.Length != (long)batchSize * perImage)
        {
            throw new InputShapeException("token count",
                $"{(long)batchSize * perImage} ids ({batchSize} image(s) × {perImage} tokens)", $"{tokenIds.Length} ids");
        }

        var vocabularySize = Tokens.VocabularySize;
        for (var i = 0; i < tokenIds.Length; i++)
        {
            if ((ulong)tokenIds[i] >= (ulong)vocabularySize)
            {
                throw new InvalidInputException(
                    $"Token id {tokenIds[i]} (image {i / perImage}, position {i % perImage}) is outside the vocabulary: ids run from 0 to {vocabularySize - 1}.");
            }
        }

        Enter();
        try
        {
            return RunDecode(tokenIds, batchSize);
        }
        finally
        {
            Exit();
        }
    }

    private DecodedImage[] RunDecode(ReadOnlySpan<long> tokenIds, int batchSize)
    {
        var buffers = _decodePool.Rent(batchSize);
        try
        {
            tokenIds.CopyTo(buffers.Ids.Array);
            if (buffers.Bert is { } bert)
            {
                _bert!.Run([bert.Ids, bert.Mask.Tensor], [bert.Hidden.Tensor]);             // (B, N) → (B, N, D)
                _hiddenDecoder!.Run([bert.DecoderInput], [buffers.Images.Tensor]);         // (B, N, D) → (B, C, H, W)
            }
            else
            {
                _decoder!.Run([buffers.Ids.Tensor], [buffers.Images.Tensor]);
            }

            var size = Image.ElementCount;
            var results = new DecodedImage[batchSize];
            for (var b = 0; b < batchSize; b++)
            {
                var normalized = buffers.Images.Array.AsSpan(b * size, size).ToArray();
                var pixels = new byte[size];
                ImageNormalizer.Denormalize(normalized, Image, pixels);
                results[b] = new DecodedImage(Image.Width, Image.Height, Image.Channels,
                    ImmutableCollectionsMarshal.AsImmutableArray(normalized), ImmutableCollectionsMarshal.AsImmutableArray(pixels));
            }

            return results;
        }
        finally
        {
            _decodePool.Return(batchSize, buffers);
        }
    }

    /// <summary>Decodes one image from its words (each must be in the vocabulary).</summary>
    /// <exception cref="InvalidInputException">A word is not in the vocabulary.</exception>
    public DecodedImage DecodeWords(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        return Decode(words.Select(GetTokenId).ToArray());
    }

    /// <summary>The token id of a vocabulary word (its first occurrence).</summary>
    /// <exception cref="InvalidInputException">The word is not in the vocabulary.</exception>
    public long GetTokenId(string word) =>
        _wordIds.Value.TryGetValue(word, out var id)
            ? id
            : throw new InvalidInputException($"'{word}' is not in the vocabulary of bundle '{Bundle.Manifest.Name}' ({Vocabulary.Count} words).");

    /// <summary>Releases the native sessions and buffers; waits for calls still running on other threads.</summary>
    public void Dispose()
    {
        if (!_gate.Close())
        {
            return;
        }

        _encodePool.Dispose();
        _decodePool.Dispose();
        foreach (var graph in Graphs())
        {
            graph.Dispose();
        }
    }

    private IEnumerable<BundleGraph> Graphs() =>
        new[] { _encoder, _quantizer, _decoder, _bert, _hiddenDecoder }.OfType<BundleGraph>();

    private void RequireBert()
    {
        if (_bert is null)
        {
            throw new FeaturesUnavailableException(Bundle.Manifest.Name, Bundle.Manifest.Graphs.Keys);
        }
    }

    private IReadOnlyList<TokenizedImage> RunEncode(EncodeBuffers buffers, GraphTensor input, int batch, bool withFeatures)
    {
        _encoder.Run([input], [buffers.Latents.Tensor]);
        _quantizer.Run([buffers.QuantizerInput], buffers.QuantizerOutputs);
        var bert = withFeatures ? buffers.Bert! : null;
        if (bert is not null)
        {
            _bert!.Run([bert.Ids, bert.Mask.Tensor], [bert.Hidden.Tensor]);                 // (B, N) → (B, N, D), every position attended
        }

        var hiddenSize = _layout.Bert?.HiddenSize ?? 0;

        var perImage = Tokens.PerImage;
        var dim = Tokens.EmbeddingDim;
        var vocabulary = Vocabulary;
        var results = new TokenizedImage[batch];
        for (var b = 0; b < batch; b++)
        {
            var ids = buffers.Ids.Array.AsSpan(b * perImage, perImage).ToArray();
            var words = new string[perImage];
            for (var i = 0; i < perImage; i++)
            {
                if ((ulong)ids[i] >= (ulong)vocabulary.Count)
                {
                    throw new BundleFormatException(_quantizer.File,
                        $"'{_quantizer.File}' produced token id {ids[i]}, outside the vocabulary of {vocabulary.Count} words; graph and vocabulary do not belong together. Re-export the bundle.");
                }

                words[i] = vocabulary[(int)ids[i]];
            }

            var codes = buffers.Codes is null ? [] : buffers.Codes.Array.AsSpan(b * perImage * dim, perImage * dim).ToArray();
            results[b] = new TokenizedImage(
                ImmutableCollectionsMarshal.AsImmutableArray(ids),
                ImmutableCollectionsMarshal.AsImmutableArray(words),
                ImmutableCollectionsMarshal.AsImmutableArray(codes))
            {
                Features = bert is null ? null
                    : BertFeatures.FromHiddenStates(bert.Hidden.Array.AsSpan(b * perImage * hiddenSize, perImage * hiddenSize), perImage, hiddenSize),
            };
        }

        return results;
    }

    private void CheckImageShape(int channels, int height, int width, string what)
    {
        if (channels != Image.Channels)
        {
            throw new InputShapeException($"channel count of {what}",
                $"{Image.Channels} channel(s) ({Image.Describe()})", $"{channels} channel(s) ({channels}×{height}×{width})");
        }

        if (height != Image.Height || width != Image.Width)
        {
            throw new InputShapeException($"image size of {what}",
                $"{Image.Width}×{Image.Height} pixels (W×H)", $"{width}×{height}");
        }
    }

    private void CheckFinite(ReadOnlySpan<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                var size = Image.ElementCount;
                var plane = Image.Width * Image.Height;
                var within = i % size;
                throw new InvalidInputException(
                    $"Image {i / size} holds {values[i].ToString(CultureInfo.InvariantCulture)} at channel {within / plane}, " +
                    $"row {within % plane / Image.Width}, column {within % Image.Width}; inputs must be finite normalised values.");
            }
        }
    }

    private void Enter() => _gate.Enter();

    private void Exit() => _gate.Exit();

    private Dictionary<string, long> BuildWordIndex()
    {
        var index = new Dictionary<string, long>(Vocabulary.Count, StringComparer.Ordinal);
        for (var i = 0; i < Vocabulary.Count; i++)
        {
            index.TryAdd(Vocabulary[i], i);
        }

        return index;
    }
}
