using System.Globalization;
using System.Text;

// Dependency-free on purpose (standard library only): training (LangBridge.Pretrained) and serving
// (TextEmbedder) tokenise with this very code.
namespace LangBridge.Runtime;

/// <summary>
/// BERT's tokenizer: the basic tokenizer (clean control characters, space out CJK ideographs, split on
/// whitespace, lower-case and strip accents, split off punctuation) followed by greedy
/// longest-match-first WordPiece with "##" continuations; a word with no full segmentation, or longer
/// than <see cref="WordPieceOptions.MaxCharsPerWord"/>, is one [UNK].
/// </summary>
public sealed class WordPieceTokenizer
{
    private readonly WordPieceVocabulary _vocab;

    /// <summary>Creates the tokenizer; every special token of <paramref name="options"/> must be in the vocabulary.</summary>
    /// <exception cref="ArgumentException"><see cref="WordPieceOptions.MaxLength"/> leaves no room for [CLS] and [SEP].</exception>
    /// <exception cref="KeyNotFoundException">A special token is not in the vocabulary.</exception>
    public WordPieceTokenizer(WordPieceVocabulary vocabulary, WordPieceOptions? options = null)
    {
        _vocab = vocabulary ?? throw new ArgumentNullException(nameof(vocabulary));
        Options = options ?? new WordPieceOptions();
        if (Options.MaxLength < 2) throw new ArgumentException("MaxLength must leave room for [CLS] and [SEP].");
        UnknownId = _vocab.Id(Options.Unknown);
        ClassifierId = _vocab.Id(Options.Classifier);
        SeparatorId = _vocab.Id(Options.Separator);
        PaddingId = _vocab.Id(Options.Padding);
        MaskId = _vocab.Id(Options.Mask);
    }

    /// <summary>The settings.</summary>
    public WordPieceOptions Options { get; }

    /// <summary>The vocabulary.</summary>
    public WordPieceVocabulary Vocabulary => _vocab;

    /// <summary>Id of <see cref="WordPieceOptions.Unknown"/>.</summary>
    public int UnknownId { get; }

    /// <summary>Id of <see cref="WordPieceOptions.Classifier"/>.</summary>
    public int ClassifierId { get; }

    /// <summary>Id of <see cref="WordPieceOptions.Separator"/>.</summary>
    public int SeparatorId { get; }

    /// <summary>Id of <see cref="WordPieceOptions.Padding"/>.</summary>
    public int PaddingId { get; }

    /// <summary>Id of <see cref="WordPieceOptions.Mask"/>.</summary>
    public int MaskId { get; }

    /// <summary>The basic tokenizer's words (before WordPiece).</summary>
    public IReadOnlyList<string> BasicTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cleaned = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) { cleaned.Append(' '); continue; }
            if (IsCjk(cp)) { cleaned.Append(' ').Append(rune.ToString()).Append(' '); continue; }
            cleaned.Append(rune.ToString());
        }
        var words = new List<string>();
        foreach (var raw in cleaned.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var word = Options.Uncased ? StripAccents(raw.ToLowerInvariant()) : raw;
            var current = new StringBuilder();
            foreach (var rune in word.EnumerateRunes())
            {
                if (IsPunctuation(rune))
                {
                    if (current.Length > 0) { words.Add(current.ToString()); current.Clear(); }
                    words.Add(rune.ToString());
                }
                else current.Append(rune.ToString());
            }
            if (current.Length > 0) words.Add(current.ToString());
        }
        return words;
    }

    /// <summary>WordPiece tokens of <paramref name="text"/> (no [CLS]/[SEP]).</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var pieces = new List<string>();
        foreach (var word in BasicTokens(text)) WordPiece(word, pieces);
        return pieces;
    }

    private void WordPiece(string word, List<string> output)
    {
        // Work in code points so a surrogate pair is never split.
        var runes = word.EnumerateRunes().Select(r => r.ToString()).ToArray();
        if (runes.Length > Options.MaxCharsPerWord) { output.Add(Options.Unknown); return; }
        var pieces = new List<string>();
        int start = 0;
        while (start < runes.Length)
        {
            string? found = null;
            int end = runes.Length;
            for (; end > start; end--)
            {
                var sub = string.Concat(runes[start..end]);
                if (start > 0) sub = Options.ContinuationPrefix + sub;
                if (_vocab.TryGetId(sub, out _)) { found = sub; break; }
            }
            if (found is null) { output.Add(Options.Unknown); return; }
            pieces.Add(found);
            start = end;
        }
        output.AddRange(pieces);
    }

    /// <summary>[CLS] pieces… [SEP] as ids, the pieces truncated to MaxLength − 2.</summary>
    public int[] Encode(string text) => Encode(text, out _);

    /// <summary>[CLS] pieces… [SEP] as ids, the pieces truncated to MaxLength − 2; <paramref name="truncated"/> says whether any were cut.</summary>
    public int[] Encode(string text, out bool truncated)
    {
        var pieces = Tokenize(text);
        int keep = Math.Min(pieces.Count, Options.MaxLength - 2);
        truncated = keep < pieces.Count;
        var ids = new int[keep + 2];
        ids[0] = ClassifierId;
        for (int i = 0; i < keep; i++) ids[i + 1] = _vocab.TryGetId(pieces[i], out var id) ? id : UnknownId;
        ids[^1] = SeparatorId;
        return ids;
    }

    /// <summary>Encodes each text and pads with [PAD] (mask 0) to the longest in the batch.</summary>
    public TokenBatch EncodeBatch(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var truncated = new bool[texts.Count];
        var encoded = texts.Select((t, i) => Encode(t, out truncated[i])).ToList();
        int length = encoded.Count == 0 ? 0 : encoded.Max(e => e.Length);
        var ids = new long[encoded.Count * length];
        var mask = new long[encoded.Count * length];
        Array.Fill(ids, PaddingId);
        for (int b = 0; b < encoded.Count; b++)
            for (int i = 0; i < encoded[b].Length; i++) { ids[b * length + i] = encoded[b][i]; mask[b * length + i] = 1; }
        return new TokenBatch(encoded.Count, length, ids, mask) { Truncated = truncated };
    }

    private static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    private static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        var c = Rune.GetUnicodeCategory(r);
        return c is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    /// <summary>ASCII symbols count as punctuation too (BERT: "$", "^", "`" are split off).</summary>
    private static bool IsPunctuation(Rune r)
    {
        int cp = r.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK Unified Ideographs blocks BERT spaces out (not Hangul, Hiragana or Katakana).</summary>
    private static bool IsCjk(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    private static string StripAccents(string s)
    {
        var d = s.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(d.Length);
        foreach (var ch in d)
            if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.NonSpacingMark) sb.Append(ch);
        return sb.ToString();
    }
}
