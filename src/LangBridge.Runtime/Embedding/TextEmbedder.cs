namespace LangBridge.Runtime;

/// <summary>
/// Sentence embeddings from a bundle, a thin wrapper over its text encoder (a <see cref="BundleGraph"/> whose
/// tensors it finds by meaning). Serves two kinds with one API:
/// <list type="bullet">
/// <item><c>text-encoder</c> (a frozen BERT such as MiniLM): WordPiece ids and mask, padded to the longest text
/// of a batch and truncated at the bundle's maximum length → hidden states → mean over the mask → unit length;</item>
/// <item><c>clippo</c>: the text drawn as pixels with the bundle's font and renderer settings → the text encoder;
/// text that does not fit the canvas is cut at its last whole line.</item>
/// </list>
/// <see cref="Embedding.Truncated"/> reports a cut. Thread-safe: any number of threads may call
/// <c>Embed</c> concurrently. Dispose it to release the native session.
/// </summary>
/// <example><code>
/// using var embedder = TextEmbedder.Open("bundles/minilm-text");
/// var e = embedder.Embed(["A man is playing a guitar.", "Someone plays an instrument."]);
/// Console.WriteLine(e[0].Similarity(e[1]));                        // cosine similarity
/// </code></example>
public sealed class TextEmbedder : IDisposable
{
    /// <summary>The bundle kinds this API serves.</summary>
    public static readonly IReadOnlyList<string> SupportedKinds = [BundleKinds.TextEncoder, BundleKinds.Clippo];

    private readonly ITextPath _path;
    private readonly CallGate _gate = new(nameof(TextEmbedder));

    private TextEmbedder(ModelBundle bundle, ITextPath path)
    {
        Bundle = bundle;
        _path = path;
    }

    /// <summary>The verified bundle this embedder runs.</summary>
    public ModelBundle Bundle { get; }

    /// <summary>The bundle's kind (<see cref="BundleKinds.TextEncoder"/> or <see cref="BundleKinds.Clippo"/>).</summary>
    public string Kind => Bundle.Manifest.Kind;

    /// <summary>Components of each embedding.</summary>
    public int Dimension => _path.Dimension;

    /// <summary>
    /// The most a text can hold before it is cut: word pieces including [CLS] and [SEP] (<c>text-encoder</c>),
    /// or the canvas side in pixels (<c>clippo</c>: what fits depends on the glyphs).
    /// </summary>
    public int MaxLength => _path switch
    {
        WordPieceTextPath w => w.Tokenizer.Options.MaxLength,
        RenderedTextPath r => r.Renderer.Options.Size,
        _ => throw new InvalidOperationException("Unknown text path."),
    };

    /// <summary>The WordPiece tokenizer (<c>text-encoder</c> bundles), or null.</summary>
    public WordPieceTokenizer? Tokenizer => (_path as WordPieceTextPath)?.Tokenizer;

    /// <summary>The text renderer, with the bundle's font and settings (<c>clippo</c> bundles), or null.</summary>
    public TextRenderer? Renderer => (_path as RenderedTextPath)?.Renderer;

    /// <summary>The execution provider the text encoder runs on, and why it was chosen.</summary>
    public ProviderChoice ExecutionProvider => _path.Provider;

    /// <summary>The softmax temperature a <c>clippo</c> bundle records for zero-shot scores, or null.</summary>
    internal float? Temperature => (_path as RenderedTextPath)?.Settings.Temperature;

    /// <summary>Loads and verifies the bundle in <paramref name="bundleDirectory"/>, then creates the session.</summary>
    /// <exception cref="LangBridgeException">The bundle is damaged, unsupported or of another kind, or the provider is unavailable (see the derived types).</exception>
    public static TextEmbedder Open(string bundleDirectory, RuntimeOptions? options = null) =>
        Create(ModelBundle.Load(bundleDirectory), options);

    /// <summary>Creates the session for an already loaded bundle.</summary>
    /// <exception cref="BundleFormatException">The bundle is not of a kind this API serves, or its graph or assets do not fit it.</exception>
    /// <exception cref="ExecutionProviderUnavailableException">The requested provider is not present.</exception>
    public static TextEmbedder Create(ModelBundle bundle, RuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        options ??= RuntimeOptions.Default;
        options.Validate();
        ITextPath path = bundle.Manifest.Kind switch
        {
            BundleKinds.TextEncoder => WordPieceTextPath.Create(bundle, options),
            BundleKinds.Clippo => RenderedTextPath.Create(bundle, options),
            var kind => throw new BundleFormatException(ManifestJson.FileName,
                $"Bundle '{bundle.Manifest.Name}' is of kind \"{kind}\"; TextEmbedder serves [{string.Join(", ", SupportedKinds)}]. Use the API for that kind."),
        };
        return new TextEmbedder(bundle, path);
    }

    /// <summary>The unit embedding of one text.</summary>
    public Embedding Embed(string text) => Embed([text])[0];

    /// <summary>The unit embeddings of <paramref name="texts"/>, in order (batched internally).</summary>
    /// <exception cref="ArgumentNullException">The list or one of its texts is null.</exception>
    public IReadOnlyList<Embedding> Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        for (var i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null) throw new ArgumentNullException(nameof(texts), $"Text {i} is null.");
        }

        if (texts.Count == 0) return [];
        _gate.Enter();
        try
        {
            var results = new List<Embedding>(texts.Count);
            foreach (var chunk in texts.Chunk(_path.MaxBatch))
            {
                results.AddRange(_path.Embed(chunk));
            }

            return results;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Releases the native session; waits for calls still running on other threads.</summary>
    public void Dispose()
    {
        if (_gate.Close()) _path.Dispose();
    }
}
