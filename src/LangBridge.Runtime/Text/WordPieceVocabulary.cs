using System.Text;

namespace LangBridge.Runtime;

/// <summary>A WordPiece vocabulary: line <c>i</c> of <c>vocab.txt</c> is token id <c>i</c>.</summary>
public sealed class WordPieceVocabulary
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    /// <summary>Creates the vocabulary from its tokens in id order.</summary>
    /// <exception cref="FormatException">A token appears twice (ids would be ambiguous).</exception>
    public WordPieceVocabulary(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        Tokens = tokens;
        for (int i = 0; i < tokens.Count; i++)
            if (!_ids.TryAdd(tokens[i], i)) throw new FormatException($"vocabulary: token '{tokens[i]}' appears at lines {_ids[tokens[i]] + 1} and {i + 1}.");
    }

    /// <summary>The tokens in id order.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => Tokens.Count;

    /// <summary>The id of <paramref name="token"/>, if it is in the vocabulary.</summary>
    public bool TryGetId(string token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>The id of <paramref name="token"/>.</summary>
    /// <exception cref="KeyNotFoundException">The token is not in the vocabulary.</exception>
    public int Id(string token) => _ids.TryGetValue(token, out var id) ? id : throw new KeyNotFoundException($"vocabulary has no token '{token}'.");

    /// <summary>Reads a <c>vocab.txt</c> file (UTF-8, see <see cref="ParseLines"/>).</summary>
    public static IReadOnlyList<string> ReadLines(string path) => ParseLines(File.ReadAllText(path, Encoding.UTF8));

    /// <summary>One token a line; a final newline does not add an empty token; "\r\n" endings are accepted.</summary>
    public static IReadOnlyList<string> ParseLines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }
}
