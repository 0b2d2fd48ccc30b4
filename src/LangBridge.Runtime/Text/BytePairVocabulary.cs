using System.Text;
using System.Text.Json;

namespace LangBridge.Runtime;

/// <summary>
/// A byte-level BPE vocabulary in GPT-2's layout: <c>vocab.json</c> maps each token (spelled in
/// <see cref="ByteLevelAlphabet"/>) to its id, <c>merges.txt</c> lists the merges by rank after a
/// <c>#version</c> line. Every one of the 256 byte tokens must be present, so any text can be encoded.
/// </summary>
public sealed class BytePairVocabulary
{
    /// <summary>GPT-2's end-of-text token (also its beginning-of-text token).</summary>
    public const string EndOfTextToken = "<|endoftext|>";

    private readonly Dictionary<string, int> _ids;
    private readonly string[] _tokens;

    /// <summary>Creates the vocabulary from token ids and merges in rank order.</summary>
    /// <exception cref="FormatException">Ids are not 0..N−1 exactly once, a byte token or the end-of-text token is missing, or a merge's result is not a token.</exception>
    public BytePairVocabulary(IReadOnlyDictionary<string, int> ids, IReadOnlyList<(string Left, string Right)> merges)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(merges);
        _ids = new Dictionary<string, int>(ids, StringComparer.Ordinal);
        _tokens = new string[ids.Count];
        foreach (var (token, id) in ids)
        {
            if (id < 0 || id >= _tokens.Length || _tokens[id] is not null)
                throw new FormatException($"vocab.json: id {id} of '{token}' is out of 0..{_tokens.Length - 1} or used twice");
            _tokens[id] = token;
        }
        for (int b = 0; b < 256; b++)
            if (!_ids.ContainsKey(ByteLevelAlphabet.Char((byte)b).ToString()))
                throw new FormatException($"vocab.json: byte token {b} ('{ByteLevelAlphabet.Char((byte)b)}') is missing, so not every text can be encoded");
        if (!_ids.TryGetValue(EndOfTextToken, out var eot)) throw new FormatException($"vocab.json: no {EndOfTextToken} token");
        EndOfTextId = eot;
        Ranks = new Dictionary<(string, string), int>(merges.Count);
        for (int r = 0; r < merges.Count; r++)
        {
            var (left, right) = merges[r];
            if (!_ids.ContainsKey(left + right)) throw new FormatException($"merges.txt line {r + 2}: '{left} {right}' makes '{left + right}', which vocab.json lacks");
            Ranks.TryAdd((left, right), r);
        }
        Merges = merges;
    }

    /// <summary>Number of tokens.</summary>
    public int Count => _tokens.Length;

    /// <summary>The merges in rank order (lower rank merges first).</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    internal Dictionary<(string, string), int> Ranks { get; }

    /// <summary>Id of <see cref="EndOfTextToken"/>.</summary>
    public int EndOfTextId { get; }

    /// <summary>The token with id <paramref name="id"/> (in <see cref="ByteLevelAlphabet"/> spelling).</summary>
    public string Token(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : throw new ArgumentOutOfRangeException(nameof(id), id, $"token ids are 0..{_tokens.Length - 1}");

    /// <summary>The id of <paramref name="token"/>, if it is in the vocabulary.</summary>
    public bool TryGetId(string token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>Reads <c>vocab.json</c> and <c>merges.txt</c> from <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="FormatException">A file is malformed.</exception>
    public static BytePairVocabulary Load(string folder) =>
        Parse(File.ReadAllText(Path.Combine(folder, "vocab.json"), Encoding.UTF8), File.ReadAllText(Path.Combine(folder, "merges.txt"), Encoding.UTF8));

    /// <summary>Parses the texts of <c>vocab.json</c> and <c>merges.txt</c>.</summary>
    public static BytePairVocabulary Parse(string vocabJson, string mergesText)
    {
        Dictionary<string, int>? ids;
        try
        {
            ids = JsonSerializer.Deserialize<Dictionary<string, int>>(vocabJson);
        }
        catch (JsonException e)
        {
            throw new FormatException($"vocab.json is not an object of token → id: {e.Message}", e);
        }
        if (ids is null || ids.Count == 0) throw new FormatException("vocab.json is empty");
        var merges = new List<(string, string)>();
        var lines = mergesText.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0 || (i == 0 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0) throw new FormatException($"merges.txt line {i + 1}: expected two tokens separated by one space, got '{line}'");
            merges.Add((parts[0], parts[1]));
        }
        return new BytePairVocabulary(ids, merges);
    }

    /// <summary>Writes <c>vocab.json</c> and <c>merges.txt</c> (GPT-2's layout) into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "vocab.json"), VocabJson(), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), MergesText(), new UTF8Encoding(false));
    }

    /// <summary>The text of <c>vocab.json</c>: every token and its id, in id order.</summary>
    public string VocabJson()
    {
        var ordered = new Dictionary<string, int>();
        for (int i = 0; i < _tokens.Length; i++) ordered[_tokens[i]] = i;
        return JsonSerializer.Serialize(ordered);
    }

    /// <summary>The text of <c>merges.txt</c>: a version line, then one merge a line by rank.</summary>
    public string MergesText()
    {
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (var (l, r) in Merges) merges.Append(l).Append(' ').Append(r).Append('\n');
        return merges.ToString();
    }
}
