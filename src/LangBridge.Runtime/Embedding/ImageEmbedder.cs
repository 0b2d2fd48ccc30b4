using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;

namespace LangBridge.Runtime;

/// <summary>
/// Unit image embeddings from a <c>clippo</c> bundle, a thin wrapper over its <c>image_encoder</c>
/// <see cref="BundleGraph"/> (tensors found by meaning): 8-bit pixels are normalised as the manifest's
/// <c>image</c> section says (<see cref="ImageNormalizer"/>), exactly as training did. The embeddings share a
/// space with <see cref="TextEmbedder"/>'s on the same bundle. Thread-safe; dispose it to release the session.
/// </summary>
/// <example><code>
/// using var images = ImageEmbedder.Open("bundles/clippo-fashion");
/// using var texts = TextEmbedder.Open("bundles/clippo-fashion");
/// var similarity = images.Embed(pixelImage).Similarity(texts.Embed("an ankle boot"));
/// </code></example>
public sealed class ImageEmbedder : IDisposable
{
    /// <summary>The bundle kinds this API serves.</summary>
    public static readonly IReadOnlyList<string> SupportedKinds = [BundleKinds.Clippo];

    private const int MaxBatch = 64;
    private readonly BundleGraph _graph;
    private readonly ClippoLayout _layout;
    private readonly BufferPool<EmbedBuffers> _pool;
    private readonly CallGate _gate = new(nameof(ImageEmbedder));

    private ImageEmbedder(ModelBundle bundle, ClippoLayout layout, BundleGraph graph)
    {
        Bundle = bundle;
        Image = bundle.Manifest.Image!;
        _layout = layout;
        _graph = graph;
        _pool = new BufferPool<EmbedBuffers>(
            batch => new EmbedBuffers(layout.Image, [batch, Image.Channels, Image.Height, Image.Width], layout.ImageEmbeddings, layout.Dimension),
            Math.Max(2, Environment.ProcessorCount));
    }

    /// <summary>The verified bundle this embedder runs.</summary>
    public ModelBundle Bundle { get; }

    /// <summary>The image the encoder expects (size, channels, normalisation).</summary>
    public ImageSpec Image { get; }

    /// <summary>Components of each embedding.</summary>
    public int Dimension => _layout.Dimension;

    /// <summary>The execution provider the image encoder runs on, and why it was chosen.</summary>
    public ProviderChoice ExecutionProvider => _graph.Provider;

    /// <summary>Loads and verifies the bundle in <paramref name="bundleDirectory"/>, then creates the session.</summary>
    /// <exception cref="LangBridgeException">The bundle is damaged, unsupported or of another kind, or the provider is unavailable (see the derived types).</exception>
    public static ImageEmbedder Open(string bundleDirectory, RuntimeOptions? options = null) =>
        Create(ModelBundle.Load(bundleDirectory), options);

    /// <summary>Creates the session for an already loaded bundle.</summary>
    /// <exception cref="BundleFormatException">The bundle is not of a kind this API serves, or its graphs do not fit it.</exception>
    /// <exception cref="ExecutionProviderUnavailableException">The requested provider is not present.</exception>
    public static ImageEmbedder Create(ModelBundle bundle, RuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        options ??= RuntimeOptions.Default;
        options.Validate();
        if (!SupportedKinds.Contains(bundle.Manifest.Kind))
        {
            throw new BundleFormatException(ManifestJson.FileName,
                $"Bundle '{bundle.Manifest.Name}' is of kind \"{bundle.Manifest.Kind}\"; ImageEmbedder serves [{string.Join(", ", SupportedKinds)}]. Use the API for that kind.");
        }

        var layout = ClippoLayout.Resolve(bundle.Manifest);
        return new ImageEmbedder(bundle, layout, BundleGraph.Open(bundle, ClippoLayout.ImageRole, options));
    }

    /// <summary>The unit embedding of one 8-bit image at the bundle's size and channel count.</summary>
    /// <exception cref="InputShapeException">Size or channel count differ from the bundle's image.</exception>
    public Embedding Embed(PixelImage image) => Embed([image])[0];

    /// <summary>The unit embeddings of 8-bit images (each at the bundle's size and channel count), in order.</summary>
    /// <exception cref="InputShapeException">An image's size or channel count differs from the bundle's image.</exception>
    public IReadOnlyList<Embedding> Embed(IReadOnlyList<PixelImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        for (var i = 0; i < images.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(images[i], nameof(images));
            ImageNormalizer.RequireShape(images[i], Image, $"image {i}");
        }

        var size = Image.ElementCount;
        return Run(images.Count, (buffers, start, count) =>
        {
            for (var i = 0; i < count; i++) ImageNormalizer.Normalize(images[start + i], Image, buffers.Input.Array.AsSpan(i * size, size));
        });
    }

    /// <summary>The unit embeddings of images already in model space: <c>N×C×H×W</c> floats, normalised as the manifest says.</summary>
    /// <exception cref="InputShapeException">Size, channel count or buffer length differ from the bundle's image.</exception>
    /// <exception cref="InvalidInputException">A value is NaN or infinite.</exception>
    public IReadOnlyList<Embedding> Embed(ReadOnlyMemory<float> images, int batchSize, int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (channels != Image.Channels || height != Image.Height || width != Image.Width)
        {
            throw new InputShapeException("images", Image.Describe(), $"{channels}×{height}×{width} (C×H×W)");
        }

        var size = Image.ElementCount;
        if (images.Length != (long)batchSize * size)
        {
            throw new InputShapeException("image buffer length", $"{(long)batchSize * size} floats ({batchSize} × {Image.Describe()})", $"{images.Length} floats");
        }

        var span = images.Span;
        for (var i = 0; i < span.Length; i++)
        {
            if (!float.IsFinite(span[i]))
            {
                throw new InvalidInputException($"Image {i / size} holds {span[i].ToString(CultureInfo.InvariantCulture)} at element {i % size}; inputs must be finite normalised values.");
            }
        }

        return Run(batchSize, (buffers, start, count) => images.Span.Slice(start * size, count * size).CopyTo(buffers.Input.Array));
    }

    /// <summary>Releases the native session and buffers; waits for calls still running on other threads.</summary>
    public void Dispose()
    {
        if (!_gate.Close()) return;
        _pool.Dispose();
        _graph.Dispose();
    }

    // Fills each chunk's pooled input buffer, runs the encoder into the pooled output, copies the rows out.
    private Embedding[] Run(int total, Action<EmbedBuffers, int, int> fill)
    {
        var results = new Embedding[total];
        if (total == 0) return results;
        _gate.Enter();
        try
        {
            var d = Dimension;
            for (var start = 0; start < total; start += MaxBatch)
            {
                var count = Math.Min(MaxBatch, total - start);
                var buffers = _pool.Rent(count);
                try
                {
                    fill(buffers, start, count);
                    _graph.Run([buffers.Input.Tensor], [buffers.Output.Tensor]);
                    for (var i = 0; i < count; i++)
                    {
                        var vector = buffers.Output.Array.AsSpan(i * d, d).ToArray();
                        Embedding.Normalize(vector);                                        // unit length whatever the graph's last layer does
                        results[start + i] = new Embedding(ImmutableCollectionsMarshal.AsImmutableArray(vector));
                    }
                }
                finally
                {
                    _pool.Return(count, buffers);
                }
            }

            return results;
        }
        finally
        {
            _gate.Exit();
        }
    }
}
