namespace LangBridge.Runtime;

/// <summary>
/// How one bundle kind turns text into embeddings (<see cref="TextEmbedder"/>'s strategy per kind):
/// WordPiece ids through a BERT encoder and mean pooling, or CLIPPO's rendered text through its encoder.
/// Implementations are thread-safe.
/// </summary>
internal interface ITextPath : IDisposable
{
    /// <summary>Embedding size.</summary>
    int Dimension { get; }

    /// <summary>Where the graph runs.</summary>
    ProviderChoice Provider { get; }

    /// <summary>The most texts one graph call takes (larger lists are split).</summary>
    int MaxBatch { get; }

    /// <summary>Unit embeddings of 1 to <see cref="MaxBatch"/> texts, in order.</summary>
    Embedding[] Embed(IReadOnlyList<string> texts);
}
