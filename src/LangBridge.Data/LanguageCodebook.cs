using System.Globalization;
using System.Text;

namespace LangBridge.Data;

/// <summary>
/// A frozen language codebook: <see cref="Count"/> words, each with a <see cref="Dimension"/>-long
/// float32 embedding. Row i of <see cref="Vectors"/> (a flat [Count × Dimension] array) is the
/// vector of <c>Words[i]</c>. The default one (GloVe 6B 100-d, from <c>langbridge data fetch</c>)
/// lives in <see cref="DataLayout.CodebookDir"/> as <c>codebook.safetensors</c> + <c>vocab.txt</c>.
/// </summary>
public sealed class LanguageCodebook
{
    /// <summary>File name of the vectors in a codebook folder.</summary>
    public const string TensorFile = "codebook.safetensors";

    /// <summary>File name of the vocabulary in a codebook folder (line i = row i).</summary>
    public const string VocabFile = "vocab.txt";

    /// <summary>Name of the embedding tensor ([V, D] float32) in <see cref="TensorFile"/>.</summary>
    public const string EmbeddingsTensor = "embeddings";

    /// <summary>Optional int64 [V] tensor: each row's frequency rank in the source (0 = most frequent).</summary>
    public const string SourceRankTensor = "source_rank";

    private readonly Dictionary<string, int> _index;

    /// <summary>Creates a codebook, checking shapes and that no word repeats.</summary>
    /// <param name="words">The vocabulary; row i belongs to words[i].</param>
    /// <param name="vectors">words.Count × dimension floats, row-major.</param>
    /// <param name="dimension">Embedding width.</param>
    /// <param name="sourceRanks">Optional frequency rank of each word in its source.</param>
    /// <param name="origin">File named in errors (e.g. the vocabulary file).</param>
    /// <exception cref="DuplicateWordException">A word appears twice.</exception>
    /// <exception cref="CodebookFormatException">The vector count does not fit words × dimension.</exception>
    public LanguageCodebook(IReadOnlyList<string> words, float[] vectors, int dimension, long[]? sourceRanks = null, string origin = "<memory>")
    {
        if (dimension <= 0) throw new CodebookFormatException(origin, "a positive dimension", $"{dimension}");
        if ((long)words.Count * dimension != vectors.LongLength)
            throw new CodebookFormatException(origin, $"{words.Count} × {dimension} = {(long)words.Count * dimension} floats", $"{vectors.LongLength}");
        if (sourceRanks is not null && sourceRanks.Length != words.Count)
            throw new CodebookFormatException(origin, $"{words.Count} source ranks", $"{sourceRanks.Length}");
        _index = new Dictionary<string, int>(words.Count, StringComparer.Ordinal);
        for (int i = 0; i < words.Count; i++)
        {
            var w = words[i];
            if (string.IsNullOrEmpty(w)) throw new CodebookFormatException(origin, "a non-empty word on every row", $"an empty word at row {i}");
            if (!_index.TryAdd(w, i)) throw new DuplicateWordException(origin, w, _index[w], i);
        }
        Words = words.ToArray();
        Vectors = vectors;
        Dimension = dimension;
        SourceRanks = sourceRanks;
    }

    /// <summary>The vocabulary, row order.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>All vectors, [Count × Dimension] row-major float32.</summary>
    public float[] Vectors { get; }

    /// <summary>Embedding width (100 for the default GloVe codebook).</summary>
    public int Dimension { get; }

    /// <summary>Number of words (rows).</summary>
    public int Count => Words.Count;

    /// <summary>Frequency rank of each row in its source, when known (null otherwise).</summary>
    public long[]? SourceRanks { get; }

    /// <summary>Row of <paramref name="word"/> (exact, case-sensitive), or -1.</summary>
    public int IndexOf(string word) => _index.TryGetValue(word, out var i) ? i : -1;

    /// <summary>Whether the codebook has <paramref name="word"/>.</summary>
    public bool Contains(string word) => _index.ContainsKey(word);

    /// <summary>The vector of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Vector(int row)
    {
        if ((uint)row >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(row));
        return Vectors.AsSpan(row * Dimension, Dimension);
    }

    /// <summary>Loads the default codebook from the cache (<see cref="DataLayout.Resolve"/>).</summary>
    public static LanguageCodebook Load() => Load(DataLayout.Resolve().CodebookDir);

    /// <summary>Loads <c>codebook.safetensors</c> + <c>vocab.txt</c> from <paramref name="dir"/>.</summary>
    /// <exception cref="DataCacheException">The folder lacks either file.</exception>
    public static LanguageCodebook Load(string dir)
    {
        var tensorPath = Path.Combine(dir, TensorFile);
        var vocabPath = Path.Combine(dir, VocabFile);
        foreach (var f in new[] { tensorPath, vocabPath })
            if (!File.Exists(f)) throw new DataCacheException($"{f} is missing: run `langbridge data fetch` (or ./build.sh --target=Data) first");
        return LoadSafetensors(tensorPath, vocabPath, EmbeddingsTensor);
    }

    /// <summary>
    /// Bring-your-own codebook: a [V, D] tensor from a safetensors file (F32, F16, BF16 or F64; e.g. a
    /// Hugging Face <c>embed_tokens</c> / <c>wte</c> weight) and a vocabulary file with one word per line.
    /// </summary>
    /// <param name="tensorPath">The safetensors file.</param>
    /// <param name="vocabPath">Vocabulary, UTF-8, line i = row i.</param>
    /// <param name="tensorName">Tensor to use; null picks "embeddings" if present, else the only 2-D tensor.</param>
    /// <exception cref="CodebookFormatException">Tensor not 2-D, row count ≠ vocabulary lines, duplicate words.</exception>
    public static LanguageCodebook LoadSafetensors(string tensorPath, string vocabPath, string? tensorName = null)
    {
        using var file = Safetensors.Open(tensorPath);
        if (tensorName is null)
        {
            if (file.Tensors.ContainsKey(EmbeddingsTensor)) tensorName = EmbeddingsTensor;
            else
            {
                var twoD = file.Tensors.Values.Where(t => t.Shape.Length == 2).ToList();
                if (twoD.Count != 1)
                    throw new CodebookFormatException(tensorPath, "exactly one 2-D tensor (or pass the tensor name)", $"{twoD.Count}: {string.Join(", ", twoD.Select(t => t.Name))}");
                tensorName = twoD[0].Name;
            }
        }
        var info = file.Get(tensorName);
        if (info.Shape.Length != 2)
            throw new CodebookFormatException(tensorPath, $"tensor '{tensorName}' of shape [V, D]", $"shape [{string.Join(", ", info.Shape)}]");
        var vectors = file.ReadFloat32(tensorName);
        var words = ReadVocabulary(vocabPath);
        if (words.Count != info.Shape[0])
            throw new CodebookFormatException(vocabPath, $"{info.Shape[0]} words (rows of '{tensorName}' in {Path.GetFileName(tensorPath)})", $"{words.Count} lines");
        long[]? ranks = null;
        if (file.Tensors.TryGetValue(SourceRankTensor, out var r) && r.ElementCount == words.Count)
            ranks = file.ReadInt64(SourceRankTensor);
        return new LanguageCodebook(words, vectors, (int)info.Shape[1], ranks, vocabPath);
    }

    /// <summary>
    /// Bring-your-own codebook in GloVe text format: one <c>word v1 v2 … vD</c> per line, separated by
    /// spaces. A word2vec-style first line <c>count dimension</c> is accepted and checked.
    /// </summary>
    /// <exception cref="CodebookFormatException">A row's width differs from the header's / first row's, a value is not a number, the row count differs from the header's.</exception>
    /// <exception cref="DuplicateWordException">A word appears twice.</exception>
    public static LanguageCodebook LoadGloveText(string path)
    {
        var words = new List<string>();
        var vectors = new List<float>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        int dimension = -1;
        long? headerCount = null;
        int lineNo = 0;
        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            lineNo++;
            var line = raw.TrimEnd('\r', ' ', '\t');
            if (line.Length == 0) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (lineNo == 1 && parts.Length == 2 && long.TryParse(parts[0], out var c) && int.TryParse(parts[1], out var d))
            {
                headerCount = c;
                dimension = d;
                continue;
            }
            if (parts.Length < 2) throw new CodebookFormatException(path, $"'word v1 … vD' on line {lineNo}", $"'{Truncate(line)}'");
            if (dimension < 0) dimension = parts.Length - 1;
            else if (parts.Length - 1 != dimension)
                throw new CodebookFormatException(path, $"{dimension} values on line {lineNo} ({(headerCount is null ? "as on the first row" : "as the header says")})", $"{parts.Length - 1}");
            var word = parts[0];
            if (seen.TryGetValue(word, out var first)) throw new DuplicateWordException(path, word, first, words.Count);
            seen[word] = words.Count;
            words.Add(word);
            for (int k = 1; k < parts.Length; k++)
            {
                if (!float.TryParse(parts[k], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new CodebookFormatException(path, $"a number on line {lineNo}, column {k + 1}", $"'{Truncate(parts[k])}'");
                vectors.Add(v);
            }
        }
        if (headerCount is long hc && hc != words.Count)
            throw new CodebookFormatException(path, $"{hc} rows (as the header says)", $"{words.Count}");
        if (words.Count == 0) throw new CodebookFormatException(path, "at least one 'word v1 … vD' line", "none");
        return new LanguageCodebook(words, vectors.ToArray(), dimension, null, path);
    }

    /// <summary>Reads a vocabulary file: UTF-8, one word per line, line i = row i; empty lines are errors.</summary>
    /// <exception cref="DuplicateWordException">A word appears twice.</exception>
    public static IReadOnlyList<string> ReadVocabulary(string path)
    {
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        int n = lines.Length;
        var seen = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            var w = lines[i].TrimEnd('\r');
            if (w.Length == 0) throw new CodebookFormatException(path, "one non-empty word per line", $"an empty line {i + 1}");
            if (!seen.TryAdd(w, i)) throw new DuplicateWordException(path, w, seen[w], i);
            lines[i] = w;
        }
        return lines;
    }

    /// <summary>
    /// Writes <c>codebook.safetensors</c> (tensor "embeddings" [V, D] F32, plus "source_rank" [V] I64 when
    /// known) and <c>vocab.txt</c> into <paramref name="dir"/>, each atomically.
    /// </summary>
    public void Save(string dir, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var tensors = new List<SafeTensor> { SafeTensor.Float32(EmbeddingsTensor, [Count, Dimension], Vectors) };
        if (SourceRanks is not null) tensors.Add(SafeTensor.Int64(SourceRankTensor, [Count], SourceRanks));
        Safetensors.WriteFile(Path.Combine(dir, TensorFile), tensors, metadata);
        var sb = new StringBuilder();
        foreach (var w in Words) sb.Append(w).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(dir, VocabFile), sb.ToString());
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
