using LangBridge.Runtime;

namespace LangBridge.Training.Language;

/// <summary>
/// Documents tokenised end to end, each followed by the end-of-text token, cut into windows of
/// <c>context + 1</c> tokens (a window's last token is the previous position's target; windows overlap by that one).
/// </summary>
public sealed class TokenStream
{
    private readonly int[] tokens;

    public TokenStream(BytePairTokenizer tokenizer, IEnumerable<string> documents, int context)
    {
        if (context < 1) throw new ArgumentOutOfRangeException(nameof(context));
        Context = context;
        var all = new List<int>();
        foreach (var d in documents)
        {
            all.AddRange(tokenizer.Encode(d));
            all.Add(tokenizer.EndOfTextId);
        }
        tokens = all.ToArray();
    }

    public int Context { get; }

    /// <summary>Tokens in the stream.</summary>
    public int TokenCount => tokens.Length;

    /// <summary>Whole windows in the stream.</summary>
    public int WindowCount => Math.Max(0, (tokens.Length - 1) / Context);

    /// <summary>Window <paramref name="index"/>: tokens [index·context, index·context + context + 1).</summary>
    public ReadOnlySpan<int> Window(long index) => tokens.AsSpan((int)(index * Context), Context + 1);
}
