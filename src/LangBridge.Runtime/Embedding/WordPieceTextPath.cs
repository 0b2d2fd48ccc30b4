using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;

namespace LangBridge.Runtime;

/// <summary>
/// Kind <c>text-encoder</c>: WordPiece ids and mask (padded to the longest text of the batch) → hidden
/// states → mean over the mask's tokens → L2 normalisation, as sentence-transformers pooled MiniLM.
/// </summary>
internal sealed class WordPieceTextPath : ITextPath
{
    private readonly BundleGraph _graph;
    private readonly TextEncoderLayout _layout;
    private readonly bool _normalize;

    private WordPieceTextPath(BundleGraph graph, TextEncoderLayout layout, WordPieceTokenizer tokenizer, bool normalize)
    {
        _graph = graph;
        _layout = layout;
        Tokenizer = tokenizer;
        _normalize = normalize;
    }

    public WordPieceTokenizer Tokenizer { get; }

    public int Dimension => _layout.Dimension;

    public ProviderChoice Provider => _graph.Provider;

    // Batches are padded to their longest text, so one long text costs the whole batch: keep them modest.
    public int MaxBatch => 32;

    public static WordPieceTextPath Create(ModelBundle bundle, RuntimeOptions options)
    {
        var layout = TextEncoderLayout.Resolve(bundle.Manifest);
        var settingsFile = bundle.GetAsset(TextEncoderLayout.SettingsAsset).File;
        var settings = TextEncoderSettings.Parse(bundle.ReadVerifiedAsset(TextEncoderLayout.SettingsAsset), settingsFile);
        var vocabularyFile = bundle.GetAsset(TextEncoderLayout.VocabularyAsset).File;
        WordPieceTokenizer tokenizer;
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bundle.ReadVerifiedAsset(TextEncoderLayout.VocabularyAsset));
            tokenizer = new WordPieceTokenizer(new WordPieceVocabulary(WordPieceVocabulary.ParseLines(text)), settings.ToWordPieceOptions());
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException or DecoderFallbackException)
        {
            throw new BundleFormatException(vocabularyFile, $"'{vocabularyFile}' does not fit the tokenizer: {e.Message} Re-export the bundle.", e);
        }

        return new WordPieceTextPath(BundleGraph.Open(bundle, TextEncoderLayout.GraphRole, options), layout, tokenizer, settings.Normalize);
    }

    public Embedding[] Embed(IReadOnlyList<string> texts)
    {
        var tokens = Tokenizer.EncodeBatch(texts);                                      // ids, mask: [b, s]
        int b = tokens.Batch, s = tokens.Length, d = Dimension;
        var hidden = new float[(long)b * s * d];                                         // [b, s, d]; s varies per call, so nothing is pooled
        var inputs = new List<GraphTensor>(3);
        try
        {
            inputs.Add(GraphTensor.FromMemory(_layout.InputIds.Name, tokens.InputIds.AsMemory(), b, s));
            inputs.Add(GraphTensor.FromMemory(_layout.AttentionMask.Name, tokens.AttentionMask.AsMemory(), b, s));
            if (_layout.TokenTypeIds is { } types) inputs.Add(GraphTensor.FromMemory(types.Name, new long[b * s].AsMemory(), b, s)); // one segment: type 0
            using var output = GraphTensor.FromMemory(_layout.HiddenStates.Name, hidden.AsMemory(), b, s, d);
            _graph.Run(inputs, [output]);
        }
        finally
        {
            inputs.ForEach(t => t.Dispose());
        }

        var results = new Embedding[b];
        for (var row = 0; row < b; row++)
        {
            results[row] = new Embedding(ImmutableCollectionsMarshal.AsImmutableArray(Pool(hidden, tokens.AttentionMask, row, s, d)), tokens.Truncated[row]);
        }

        return results;
    }

    /// <summary>Mean of one row's hidden states over its mask (every row has at least [CLS] and [SEP]), then unit length.</summary>
    private float[] Pool(float[] hidden, long[] mask, int row, int s, int d)
    {
        var sum = new float[d];
        var count = 0;
        for (var t = 0; t < s; t++)
        {
            if (mask[row * s + t] == 0) continue;
            count++;
            var state = hidden.AsSpan((row * s + t) * d, d);
            for (var k = 0; k < d; k++) sum[k] += state[k];
        }

        for (var k = 0; k < d; k++) sum[k] /= count;
        if (_normalize) Embedding.Normalize(sum);
        return sum;
    }

    public void Dispose() => _graph.Dispose();
}
