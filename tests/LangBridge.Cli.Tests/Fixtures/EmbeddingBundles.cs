using LangBridge.Pretrained.Export;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;
using LangBridge.Training.Clippo;
using LangBridge.Training.Pipeline;
using static TorchSharp.torch;

namespace LangBridge.Cli.Tests.Fixtures;

/// <summary>
/// Two tiny bundles the embedding commands run on, built without the data cache: a random BERT as a
/// <c>text-encoder</c> bundle and a random CLIPPO model (synthetic font) as a <c>clippo</c> bundle.
/// </summary>
public sealed class EmbeddingBundles : IDisposable
{
    public static readonly string[] ClippoLabels = ["ab", "cd", "ef"];
    private readonly TempDir _dir = new();

    public EmbeddingBundles()
    {
        manual_seed(3);
        TextEncoder = _dir.File("tiny-text");
        string[] vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "cat", "dog", "car", "red", "."];
        using (var bert = new BertEncoder(new BertConfig { VocabSize = vocabulary.Length, HiddenSize = 16, Layers = 1, Heads = 2, IntermediateSize = 32, MaxPositions = 16 }).Frozen())
        {
            TextEncoderBundle.Export(bert, new WordPieceTokenizer(new WordPieceVocabulary(vocabulary), new WordPieceOptions { MaxLength = 8 }), TextEncoder, "tiny-text");
        }

        Clippo = _dir.File("tiny-clippo");
        var recipe = new ClippoRecipe
        {
            Name = "tiny-clippo",
            Text = new ClippoTextSection { Canvas = 56, Scale = 2 },
            Encoder = new ClippoEncoderSection { Patch = 8, Width = 32, Depth = 1, Heads = 2, Embedding = 16 },
        };
        var random = new Random(5);
        var glyphs = "abcdefghijklmnopqrstuvwxyz?".Select(c => $"{(int)c:X4}:" + string.Concat(Enumerable.Range(0, 16).Select(_ => random.Next(1, 256).ToString("X2"))));
        var font = UnifontFont.Read(new StringReader(string.Join("\n", glyphs.Append("0020:" + new string('0', 32)))), "synthetic.hex");
        using var model = ClippoKindModel.Create(recipe, font, ClippoLabels);
        BundleExporter.Export(model, Clippo);
    }

    /// <summary>A <c>text-encoder</c> bundle: hidden size 16, maximum length 8.</summary>
    public string TextEncoder { get; }

    /// <summary>A <c>clippo</c> bundle: 28×28 grey images, 16-dimensional embeddings.</summary>
    public string Clippo { get; }

    public void Dispose() => _dir.Dispose();
}
