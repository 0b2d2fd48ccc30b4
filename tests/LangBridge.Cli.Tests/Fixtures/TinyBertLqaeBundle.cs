using LangBridge.Pretrained.Models;
using LangBridge.Training.Lqae;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Cli.Tests.Fixtures;

/// <summary>
/// An untrained tiny LQAE bundle with a frozen random BERT (8×8 gray images, 16 tokens, 12 whole words, hidden 8),
/// built without the data cache, for the commands that need a BERT's features.
/// </summary>
public sealed class TinyBertLqaeBundle : IDisposable
{
    private readonly TempDir _dir = new();

    public TinyBertLqaeBundle()
    {
        manual_seed(7);
        string[] vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##s", .. Enumerable.Range(0, 12).Select(i => $"w{(char)('a' + i)}")];
        var recipe = new LqaeRecipe
        {
            Name = "tiny-bert",
            Seed = 5,
            Data = new DataSection { ImageSize = 8, Channels = 1 },
            Codebook = new CodebookSection { Size = 12, Dimension = 8 },
            Encoder = new EncoderSection { Channels = 16, Downsample = 2, ResidualBlocks = 1, Groups = 4 },
            Decoder = new DecoderSection { Channels = 16, ResidualBlocks = 1, Groups = 4 },
            Quantizer = new QuantizerSection { VectorTile = 16, CodeTile = 24 },
            Masking = new MaskingSection { Ratio = 0.5f },
            Bert = new BertSection { Model = "random", Layers = 1, Vocabulary = BertVocabulary.Words, MaskedTokenWeight = 1e-4f },
            Training = new TrainingSection { Steps = 4, BatchSize = 8, LearningRate = 0.01f, WarmupSteps = 1, Threads = 1 },
        };
        using var encoder = new BertEncoder(new BertConfig { VocabSize = vocabulary.Length, HiddenSize = 8, Layers = 1, Heads = 2, IntermediateSize = 16, MaxPositions = 32 });
        using var model = LqaeKindModel.Create(recipe, LqaeBertSource.From(recipe, encoder, vocabulary, "random"));
        Folder = _dir.File("tiny-bert");
        BundleExporter.Export(model, Folder);
        HiddenSize = 8;
    }

    public string Folder { get; }

    public int HiddenSize { get; }

    public void Dispose() => _dir.Dispose();
}
