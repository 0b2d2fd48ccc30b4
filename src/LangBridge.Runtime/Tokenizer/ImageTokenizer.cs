using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace LangBridge.Runtime;

/// <summary>
/// Turns images into words of a language model's vocabulary and back, for bundles of kind
/// <c>lqae</c> (encoder → quantizer → decoder). Thread-safe: any number of threads may call
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

    private readonly GraphSession _encoder;
    private readonly GraphSession _quantizer;
    private readonly GraphSession _decoder;
    private readonly RunOptions _runOptions;
    private readonly BufferPool<EncodeBuffers> _encodePool;
    private readonly BufferPool<DecodeBuffers> _decodePool;
    private readonly string[] _encoderInput;
    private readonly string[] _encoderOutput;
    private readonly string[] _quantizerInput;
    private readonly string[] _quantizerOutputs;
    private readonly string[] _decoderInput;
    private readonly string[] _decoderOutput;
    private readonly Lazy<Dictionary<string, long>> _wordIds;
    private int _active;
    private int _disposed;

    private ImageTokenizer(ModelBundle bundle, GraphSession encoder, GraphSession quantizer, GraphSession decoder)
    {
        Bundle = bundle;
        Image = bundle.Manifest.Image;
        Tokens = bundle.Manifest.Tokens!;
        _encoder = encoder;
        _quantizer = quantizer;
        _decoder = decoder;
        _runOptions = new RunOptions();

        var latents = encoder.Spec.Outputs[0];
        var latentShape = latents.Shape.Skip(1).Select(d => d.Size!.Value).ToArray();
        var ids = quantizer.Spec.Outputs.First(t => t.Dtype == "int64");
        var codes = quantizer.Spec.Outputs.FirstOrDefault(t => t.Dtype == "float32");
        _encoderInput = [encoder.Spec.Inputs[0].Name];
        _encoderOutput = [latents.Name];
        _quantizerInput = [quantizer.Spec.Inputs[0].Name];
        _quantizerOutputs = codes is null ? [ids.Name] : [ids.Name, codes.Name];
        _decoderInput = [decoder.Spec.Inputs[0].Name];
        _decoderOutput = [decoder.Spec.Outputs[0].Name];

        var pooled = Math.Max(2, Environment.ProcessorCount);
        _encodePool = new BufferPool<EncodeBuffers>(
            batch => new EncodeBuffers(batch, Image, latentShape, Tokens.PerImage, Tokens.EmbeddingDim, codes is not null), pooled);
        _decodePool = new BufferPool<DecodeBuffers>(batch => new DecodeBuffers(batch, Image, Tokens.PerImage), pooled);
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
    public ProviderChoice ExecutionProvider => _encoder.Choice;

    /// <summary>The execution provider of each graph (<c>encoder</c>, <c>quantizer</c>, <c>decoder</c>) and why.</summary>
    public IReadOnlyDictionary<string, ProviderChoice> ProviderChoices => new Dictionary<string, ProviderChoice>
    {
        [_encoder.Role] = _encoder.Choice,
        [_quantizer.Role] = _quantizer.Choice,
        [_decoder.Role] = _decoder.Choice,
    };

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
        CheckShape(bundle);

        var available = ExecutionProviders.Available();
        var candidates = ExecutionProviders.Candidates(options.Provider, available, options.Log);
        var created = new List<GraphSession>(3);
        try
        {
            foreach (var role in (string[])["encoder", "quantizer", "decoder"])
            {
                var session = GraphSession.Create(bundle, role, options, available, candidates);
                created.Add(session);

                // Later graphs start where the first one landed: no point retrying a GPU that failed.
                candidates = candidates.SkipWhile(c => c != session.Choice.Provider).ToArray();
            }

            return new ImageTokenizer(bundle, created[0], created[1], created[2]);
        }
        catch
        {
            created.ForEach(s => s.Dispose());
            throw;
        }
    }

    /// <summary>
    /// Encodes a batch of images already in model space: <c>N×C×H×W</c> floats, normalised as
    /// the manifest says. The memory is read in place (pinned, not copied).
    /// </summary>
    /// <exception cref="InputShapeException">Size, channel count or buffer length differ from the bundle's image.</exception>
    /// <exception cref="InvalidInputException">A value is NaN or infinite.</exception>
    public IReadOnlyList<TokenizedImage> Encode(ReadOnlyMemory<float> images, int batchSize, int channels, int height, int width)
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
                // ONNX Runtime only reads inputs, so viewing the read-only memory as writable is safe.
                using var input = OrtValue.CreateTensorValueFromMemory(
                    OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(images), [batchSize, channels, height, width]);
                return RunEncode(buffers, input, batchSize);
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
    public IReadOnlyList<TokenizedImage> Encode(IReadOnlyList<PixelImage> images)
    {
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

                return RunEncode(buffers, buffers.Images.Value, batch);
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
            _decoder.Run(_runOptions, _decoderInput, [buffers.Ids.Value], _decoderOutput, [buffers.Images.Value]);
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
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var wait = new SpinWait();
        while (Volatile.Read(ref _active) != 0)
        {
            wait.SpinOnce();
        }

        _encodePool.Dispose();
        _decodePool.Dispose();
        _encoder.Dispose();
        _quantizer.Dispose();
        _decoder.Dispose();
        _runOptions.Dispose();
    }

    private IReadOnlyList<TokenizedImage> RunEncode(EncodeBuffers buffers, OrtValue input, int batch)
    {
        _encoder.Run(_runOptions, _encoderInput, [input], _encoderOutput, [buffers.Latents.Value]);
        _quantizer.Run(_runOptions, _quantizerInput, [buffers.Latents.Value], _quantizerOutputs, buffers.QuantizerOutputs);

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
                ImmutableCollectionsMarshal.AsImmutableArray(codes));
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

    private void Enter()
    {
        Interlocked.Increment(ref _active);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Decrement(ref _active);
            throw new ObjectDisposedException(nameof(ImageTokenizer));
        }
    }

    private void Exit() => Interlocked.Decrement(ref _active);

    private Dictionary<string, long> BuildWordIndex()
    {
        var index = new Dictionary<string, long>(Vocabulary.Count, StringComparer.Ordinal);
        for (var i = 0; i < Vocabulary.Count; i++)
        {
            index.TryAdd(Vocabulary[i], i);
        }

        return index;
    }

    // The manifest roles must have the shapes this API builds buffers for; checked before any
    // session exists so the error names the manifest, not a native failure.
    private static void CheckShape(ModelBundle bundle)
    {
        var m = bundle.Manifest;
        if (!SupportedKinds.Contains(m.Kind))
        {
            throw new BundleFormatException(ManifestJson.FileName,
                $"Bundle '{m.Name}' is of kind \"{m.Kind}\"; ImageTokenizer serves [{string.Join(", ", SupportedKinds)}]. Use the API for that kind.");
        }

        var tokens = m.Tokens ?? throw Invalid("it has no \"tokens\" section");
        var image = m.Image;
        var encoder = bundle.GetGraph("encoder");
        var quantizer = bundle.GetGraph("quantizer");
        var decoder = bundle.GetGraph("decoder");
        TensorDimension[] imageShape = [TensorDimension.Batch, image.Channels, image.Height, image.Width];
        TensorDimension[] idShape = [TensorDimension.Batch, tokens.PerImage];
        TensorDimension[] codeShape = [TensorDimension.Batch, tokens.PerImage, tokens.EmbeddingDim];

        Expect(encoder.Inputs.Count == 1 && Is(encoder.Inputs[0], "float32", imageShape),
            $"the encoder must take one float32 {Text(imageShape)} input");
        Expect(encoder.Outputs.Count == 1 && encoder.Outputs[0].Dtype == "float32" &&
               encoder.Outputs[0].Shape[0].IsSymbolic && encoder.Outputs[0].Shape.Skip(1).All(d => !d.IsSymbolic),
            "the encoder must return one float32 [batch, …] output with static dimensions after batch");
        Expect(quantizer.Inputs.Count == 1 && Is(quantizer.Inputs[0], "float32", encoder.Outputs[0].Shape),
            $"the quantizer must take one float32 input shaped like the encoder output {encoder.Outputs[0].DescribeShape()}");
        var ids = quantizer.Outputs.Where(t => t.Dtype == "int64").ToArray();
        var codes = quantizer.Outputs.Where(t => t.Dtype == "float32").ToArray();
        Expect(ids.Length == 1 && Is(ids[0], "int64", idShape) && codes.Length <= 1 && ids.Length + codes.Length == quantizer.Outputs.Count,
            $"the quantizer must return one int64 {Text(idShape)} token-id output (and optionally one float32 codes output)");
        Expect(codes.Length == 0 || Is(codes[0], "float32", codeShape),
            $"the quantizer's codes output must be float32 {Text(codeShape)}");
        Expect(decoder.Inputs.Count == 1 && Is(decoder.Inputs[0], "int64", idShape),
            $"the decoder must take one int64 {Text(idShape)} input");
        Expect(decoder.Outputs.Count == 1 && Is(decoder.Outputs[0], "float32", imageShape),
            $"the decoder must return one float32 {Text(imageShape)} output");

        void Expect(bool condition, string problem)
        {
            if (!condition)
            {
                throw Invalid(problem);
            }
        }

        BundleFormatException Invalid(string problem) =>
            new(ManifestJson.FileName, $"Bundle '{m.Name}' does not fit ImageTokenizer: {problem}. Re-export the bundle.");

        static bool Is(TensorSpec t, string dtype, IReadOnlyList<TensorDimension> shape) =>
            t.Dtype == dtype && t.Shape.SequenceEqual(shape);

        static string Text(IEnumerable<TensorDimension> shape) => "[" + string.Join(", ", shape) + "]";
    }
}
