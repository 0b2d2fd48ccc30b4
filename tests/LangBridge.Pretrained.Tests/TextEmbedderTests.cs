using LangBridge.Pretrained.Export;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Tests;

/// <summary>
/// A BERT exported as a <c>text-encoder</c> bundle and served by the runtime's <see cref="TextEmbedder"/>: its
/// sentence embeddings equal TorchSharp's <see cref="BertEncoder.SentenceEmbedding"/> (each sentence alone, no
/// padding) within fp32 tolerance, for the tiny Hugging Face BERT and for the real MiniLM.
/// </summary>
public sealed class TextEmbedderTests(ITestOutputHelper output) : IDisposable
{
    private const float Tolerance = 1e-5f;
    private readonly TinyHuggingFaceBert _hf = new();
    private readonly string _bundles = Path.Combine(Path.GetTempPath(), "langbridge-text-bundles-" + Guid.NewGuid().ToString("N"));

    // Lengths 3, 7, 12 (cut at the maximum of 12) and an unknown word; "w1 w2" twice to see padding change nothing.
    private static readonly string[] TinySentences =
    [
        "w1",
        "w1 w2 w3, w4 w5",
        "w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19",
        "hello w3",
        "w1 w2",
    ];

    private HuggingFaceBertModel TinyModel() => HuggingFaceBert.Load(_hf.Dir, maxLength: 12);

    private string ExportTiny()
    {
        var m = TinyModel();
        var folder = Path.Combine(_bundles, "tiny");
        TextEncoderBundle.Export(m.Encoder, m.Tokenizer, folder, "tiny-bert");
        return folder;
    }

    /// <summary>TorchSharp's embedding of one sentence on its own (no padding at all).</summary>
    private static float[] TorchEmbedding(BertEncoder encoder, WordPieceTokenizer tokenizer, string sentence)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tokenizer.Encode(sentence).Select(i => (long)i).ToArray();
        var idTensor = tensor(ids, 1, ids.Length);
        var mask = ones(1, ids.Length, ScalarType.Int64);
        return BertEncoder.SentenceEmbedding(encoder.call(idTensor, mask), mask).data<float>().ToArray();
    }

    private static float MaxAbs(float[] a, IReadOnlyList<float> b) => a.Select((x, i) => MathF.Abs(x - b[i])).Max();

    [Fact]
    public void TinyBert_RuntimeEmbeddings_EqualTorchSharps_AtSeveralLengths()
    {
        var m = TinyModel();
        using var embedder = TextEmbedder.Open(ExportTiny());
        Assert.Equal(BundleKinds.TextEncoder, embedder.Kind);
        Assert.Equal(TinyHuggingFaceBert.Hidden, embedder.Dimension);
        Assert.Equal(12, embedder.MaxLength);

        var batch = embedder.Embed(TinySentences);                                           // one call: padded to the longest
        for (var i = 0; i < TinySentences.Length; i++)
        {
            var reference = TorchEmbedding(m.Encoder, m.Tokenizer, TinySentences[i]);
            var alone = embedder.Embed(TinySentences[i]);
            var error = Math.Max(MaxAbs(reference, batch[i].Vector), MaxAbs(reference, alone.Vector));
            output.WriteLine($"\"{TinySentences[i]}\": {m.Tokenizer.Encode(TinySentences[i]).Length} tokens, max abs {error:g3}");
            Assert.True(error < Tolerance, $"sentence {i}: max abs difference {error}");
            Assert.Equal(1f, batch[i].Similarity(batch[i]), 5);
        }

        Assert.Equal([false, false, true, false, false], batch.Select(e => e.Truncated));
        Assert.True(batch[1].Similarity(batch[4]) < 0.9999f, "different sentences must not embed alike");
    }

    [Fact]
    public void TextEncoderBundle_DescribesItsGraphAndAssets()
    {
        var bundle = ModelBundle.Load(ExportTiny());
        var graph = bundle.GetGraph("text_encoder");
        Assert.Equal(["input_ids", "attention_mask"], graph.Inputs.Select(t => t.Meaning));
        Assert.All(graph.Inputs, t => Assert.Equal("[batch, sequence]", t.DescribeShape()));
        Assert.Equal(TensorMeaning.HiddenStates, Assert.Single(graph.Outputs).Meaning);
        Assert.Equal("[batch, sequence, 32]", graph.Outputs[0].DescribeShape());
        Assert.Equal(AssetType.Vocabulary, bundle.GetAsset("text_vocabulary").Type);
        var settings = TextEncoderSettings.Parse(bundle.ReadVerifiedAsset("text_encoder"), "text_encoder.json");
        Assert.Equal((12, "mean", true, true), (settings.MaxLength, settings.Pooling, settings.Normalize, settings.LowerCase));
        Assert.Equal(TinyHuggingFaceBert.Vocab, WordPieceVocabulary.ParseLines(System.Text.Encoding.UTF8.GetString(bundle.ReadVerifiedAsset("text_vocabulary"))).Count);
    }

    [Fact]
    public void SettingsTheRuntimeCannotServe_FailNamingTheFile()
    {
        var folder = ExportTiny();
        var manifest = ModelBundle.Load(folder).Manifest;
        var path = Path.Combine(folder, TextEncoderSettings.FileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"mean\"", "\"cls\""));
        BundleWriter.Seal(folder, manifest with { Files = [] });                            // re-sealed: the hashes are not what fails
        var e = Assert.Throws<BundleFormatException>(() => TextEmbedder.Open(folder));
        Assert.Equal(TextEncoderSettings.FileName, e.File);
        Assert.Contains("pooling", e.Message);
    }

    [Fact]
    public void OtherKindsApis_RefuseATextEncoderBundle()
    {
        var folder = ExportTiny();
        Assert.Contains("ImageEmbedder serves", Assert.Throws<BundleFormatException>(() => ImageEmbedder.Open(folder)).Message);
        Assert.Contains("ImageTokenizer serves", Assert.Throws<BundleFormatException>(() => ImageTokenizer.Open(folder)).Message);
    }

    [Fact]
    public void ConcurrentCalls_GiveTheSameEmbeddings()
    {
        using var embedder = TextEmbedder.Open(ExportTiny());
        var expected = embedder.Embed(TinySentences).Select(e => e.Vector.ToArray()).ToArray();
        var results = new float[16][][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            k => results[k] = embedder.Embed(TinySentences).Select(e => e.Vector.ToArray()).ToArray());
        Assert.All(results, r => Assert.Equal(expected, r));
        embedder.Dispose();
        Assert.Throws<ObjectDisposedException>(() => embedder.Embed("w1"));
    }

    [Fact]
    public void TokenizerThatDoesNotFitTheEncoder_IsRefusedAtExport()
    {
        var m = TinyModel();
        var longer = new WordPieceTokenizer(m.Tokenizer.Vocabulary, new WordPieceOptions { MaxLength = TinyHuggingFaceBert.Positions + 1 });
        Assert.Throws<PretrainedException>(() => TextEncoderBundle.Export(m.Encoder, longer, Path.Combine(_bundles, "bad"), "bad"));
        Assert.False(Directory.Exists(Path.Combine(_bundles, "bad")));
    }

    [Fact]
    public void RealMiniLm_RuntimeEmbeddings_EqualTorchSharps()
    {
        var tokenizer = Originals.Tokenizer;                                                 // uncased, 128 tokens
        var folder = Path.Combine(_bundles, "minilm");
        TextEncoderBundle.Export(Originals.MiniLm, tokenizer, folder, "minilm-text");
        using var embedder = TextEmbedder.Open(folder);
        Assert.Equal(384, embedder.Dimension);
        string[] sentences =
        [
            "A man is playing a guitar.", "Someone is playing an instrument.", "Hi.",
            "The stock market fell sharply on Monday after the central bank raised interest rates again.",
        ];
        var embeddings = embedder.Embed(sentences);
        for (var i = 0; i < sentences.Length; i++)
        {
            var error = MaxAbs(TorchEmbedding(Originals.MiniLm, tokenizer, sentences[i]), embeddings[i].Vector);
            output.WriteLine($"\"{sentences[i]}\": max abs {error:g3}");
            Assert.True(error < Tolerance, $"sentence {i}: max abs difference {error}");
        }

        // The model means something: the paraphrase is nearer than the finance news.
        Assert.True(embeddings[0].Similarity(embeddings[1]) > embeddings[0].Similarity(embeddings[3]) + 0.2f);
    }

    public void Dispose()
    {
        _hf.Dispose();
        try { Directory.Delete(_bundles, recursive: true); } catch (IOException) { }
    }
}
