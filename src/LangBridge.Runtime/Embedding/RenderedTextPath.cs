using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;

namespace LangBridge.Runtime;

/// <summary>
/// Kind <c>clippo</c>: text drawn by <see cref="TextRenderer"/> with the bundle's font and settings, pixels
/// normalised <c>(p/255 − mean)/std</c> as training did, through the text encoder (which returns unit embeddings).
/// </summary>
internal sealed class RenderedTextPath : ITextPath
{
    private readonly BundleGraph _graph;
    private readonly ClippoLayout _layout;
    private readonly float[] _table = new float[256];                                  // grey level → model input
    private readonly BufferPool<EmbedBuffers> _pool;
    private readonly int _canvas;

    private RenderedTextPath(BundleGraph graph, ClippoLayout layout, TextRenderer renderer, ClippoRendererSettings settings)
    {
        _graph = graph;
        _layout = layout;
        Renderer = renderer;
        Settings = settings;
        _canvas = renderer.Options.Size;
        for (var p = 0; p < 256; p++) _table[p] = (p / 255f - settings.Mean) / settings.Std;   // the exact float32 order of training
        _pool = new BufferPool<EmbedBuffers>(
            batch => new EmbedBuffers(layout.RenderedText!, [batch, 1, _canvas, _canvas], layout.TextEmbeddings!, layout.Dimension),
            Math.Max(2, Environment.ProcessorCount));
    }

    public TextRenderer Renderer { get; }

    public ClippoRendererSettings Settings { get; }

    public int Dimension => _layout.Dimension;

    public ProviderChoice Provider => _graph.Provider;

    public int MaxBatch => 64;

    public static RenderedTextPath Create(ModelBundle bundle, RuntimeOptions options)
    {
        var layout = ClippoLayout.Resolve(bundle.Manifest);
        if (layout.RenderedText is null)
        {
            throw new BundleFormatException(ManifestJson.FileName,
                $"Bundle '{bundle.Manifest.Name}' has no text encoder of rendered text (its \"{ClippoLayout.TextRole}\" graph reads word vectors, as the two-tower baseline does); " +
                "TextEmbedder serves CLIPPO's pixel text path only. ImageEmbedder still serves its images.");
        }

        var canvas = (int)layout.RenderedText.Shape[2].Size!.Value;
        var settingsFile = bundle.GetAsset(ClippoLayout.RendererAsset).File;
        var settings = ClippoRendererSettings.Parse(bundle.ReadVerifiedAsset(ClippoLayout.RendererAsset), settingsFile, canvas);
        var fontFile = bundle.GetAsset(ClippoLayout.FontAsset).File;
        var font = UnifontFont.Read(new StringReader(Encoding.ASCII.GetString(bundle.ReadVerifiedAsset(ClippoLayout.FontAsset))), fontFile);
        var renderer = new TextRenderer(font, settings.ToRenderOptions());
        return new RenderedTextPath(BundleGraph.Open(bundle, ClippoLayout.TextRole, options), layout, renderer, settings);
    }

    public Embedding[] Embed(IReadOnlyList<string> texts)
    {
        var batch = texts.Count;
        var plane = _canvas * _canvas;
        var buffers = _pool.Rent(batch);
        try
        {
            var truncated = new bool[batch];
            for (var i = 0; i < batch; i++)
            {
                var drawn = Renderer.Render(texts[i]);                                      // S×S grey levels
                truncated[i] = drawn.Truncated;
                var input = buffers.Input.Array.AsSpan(i * plane, plane);                   // [1, S, S] of [batch, 1, S, S]
                for (var k = 0; k < plane; k++) input[k] = _table[drawn.Pixels[k]];
            }

            _graph.Run([buffers.Input.Tensor], [buffers.Output.Tensor]);
            var d = Dimension;
            var results = new Embedding[batch];
            for (var i = 0; i < batch; i++)
            {
                var vector = buffers.Output.Array.AsSpan(i * d, d).ToArray();
                Embedding.Normalize(vector);                                                 // the graph's last layer normalises; this keeps the promise for any graph
                results[i] = new Embedding(ImmutableCollectionsMarshal.AsImmutableArray(vector), truncated[i]);
            }

            return results;
        }
        finally
        {
            _pool.Return(batch, buffers);
        }
    }

    public void Dispose()
    {
        _pool.Dispose();
        _graph.Dispose();
    }
}
