using LangBridge.Onnx.Graph;
using LangBridge.Onnx.Parity;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace LangBridge.Pretrained;

/// <summary>One neighbour of a word in the word-embedding table: the token and its cosine similarity, ours and the original's.</summary>
public sealed record WordNeighbour(string Token, double Cosine, string OriginalToken, double OriginalCosine);

public sealed record WordNeighbours(string Word, IReadOnlyList<WordNeighbour> Neighbours);

/// <summary>Cosine similarity of two sentences' embeddings, from our port and from the original graph.</summary>
public sealed record SentencePair(string A, string B, double Cosine, double OriginalCosine);

public sealed record MiniLmInfo(IReadOnlyList<WordNeighbours> Words, IReadOnlyList<SentencePair> Pairs);

/// <summary>
/// What <c>langbridge pretrained info --model minilm</c> prints: nearest neighbours of a few words in
/// the imported word-embedding table and cosine similarities of sentence pairs, each beside the same
/// number computed from the original graph (its initializer for the table, ONNX Runtime for the sentences).
/// </summary>
public static class PretrainedInfo
{
    public static IReadOnlyList<string> DefaultWords { get; } = ["king", "paris", "happy", "computer", "shoe"];

    public static IReadOnlyList<(string, string)> DefaultPairs { get; } =
    [
        ("A man is playing a guitar.", "Someone plays an instrument."),
        ("A man is playing a guitar.", "The stock market fell sharply today."),
        ("The cat sits on the mat.", "A kitten is resting on a rug."),
        ("How do I reset my password?", "I forgot my login credentials."),
    ];

    public static MiniLmInfo Compute(BertEncoder encoder, MiniLmFiles files, WordPieceTokenizer tokenizer,
        IReadOnlyList<string>? words = null, IReadOnlyList<(string, string)>? pairs = null, int k = 5)
    {
        words ??= DefaultWords;
        pairs ??= DefaultPairs;
        using var scope = NewDisposeScope();
        var model = OnnxModelIO.Parse(files.Onnx);
        var g = new OnnxGraphIndex(model, files.Source);
        var originalTable = g.ToTensor(g.Initializer("embeddings.word_embeddings.weight"));       // (V, D)
        var ours = Neighbours(encoder.WordEmbeddings.detach(), words, tokenizer, k);
        var theirs = Neighbours(originalTable, words, tokenizer, k);
        var wordResults = words.Select((w, i) => new WordNeighbours(w,
            ours[i].Select((n, j) => new WordNeighbour(n.Token, n.Cosine, theirs[i][j].Token, theirs[i][j].Cosine)).ToList())).ToList();

        var texts = pairs.SelectMany(p => new[] { p.Item1, p.Item2 }).ToList();
        var tb = tokenizer.EncodeBatch(texts);
        var ids = tensor(tb.InputIds, tb.Batch, tb.Length);
        var mask = tensor(tb.AttentionMask, tb.Batch, tb.Length);
        Tensor mine;
        using (no_grad()) mine = BertEncoder.SentenceEmbedding(encoder.call(ids, mask), mask);   // (2P, D)
        Tensor original;
        using (var runner = new OrtRunner(files.Onnx, GraphOptimizationLevel.ORT_ENABLE_ALL, "minilm original"))
        {
            var o = runner.Run([ids, mask, zeros_like(ids)])[0];
            original = BertEncoder.SentenceEmbedding(tensor(o.Floats!, o.Shape), mask);
        }
        var pairResults = pairs.Select((p, i) => new SentencePair(p.Item1, p.Item2,
            mine[2 * i].dot(mine[2 * i + 1]).item<float>(), original[2 * i].dot(original[2 * i + 1]).item<float>())).ToList();
        return new MiniLmInfo(wordResults, pairResults);
    }

    /// <summary>The k most cosine-similar tokens (excluding the word itself and special tokens) for each single-piece word.</summary>
    private static List<List<(string Token, double Cosine)>> Neighbours(Tensor table, IReadOnlyList<string> words, WordPieceTokenizer tokenizer, int k)
    {
        using var scope = NewDisposeScope();
        var unit = nn.functional.normalize(table, p: 2, dim: 1);                                  // (V, D)
        var result = new List<List<(string, double)>>();
        foreach (var w in words)
        {
            if (!tokenizer.Vocabulary.TryGetId(w, out var id)) throw new ArgumentException($"'{w}' is not one token of the vocabulary.");
            var sims = unit.matmul(unit[id]);                                                      // (V)
            var (values, indices) = sims.topk(k + 8);
            var list = new List<(string, double)>();
            var v = values.data<float>().ToArray(); var ix = indices.data<long>().ToArray();
            for (int j = 0; j < ix.Length && list.Count < k; j++)
            {
                var tok = tokenizer.Vocabulary.Tokens[(int)ix[j]];
                if (ix[j] == id || (tok.StartsWith('[') && tok.EndsWith(']'))) continue;
                list.Add((tok, v[j]));
            }
            result.Add(list);
        }
        return result;
    }
}
