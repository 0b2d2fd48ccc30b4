using LangBridge.Data;
using LangBridge.Pretrained.Import;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Kinds;
using LangBridge.Training.Lqae;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Recipes;
using static TorchSharp.torch;

namespace LangBridge.Training.Tests;

/// <summary>
/// A tiny random BERT (2 layers, hidden 8, 2 heads, FFN 16, 32 positions) written as a Hugging Face folder,
/// as <c>TinyHuggingFaceBert</c> in the pretrained tests does, and the tiny LQAE recipe reading through it.
/// Its 48-token vocabulary mixes the special tokens, an <c>[unused]</c> slot, word pieces, a digit and a
/// punctuation mark with 38 whole words, so the codebook's row choice has something to leave out.
/// </summary>
internal sealed class TinyLqaeBert : IDisposable
{
    public const int Hidden = 8, Layers = 2, Heads = 2, Ffn = 16, Positions = 32;

    /// <summary>Every token, in id order.</summary>
    public static IReadOnlyList<string> Vocabulary { get; } =
    [
        "[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##s", "##ing", "7", ".",
        .. Enumerable.Range(0, 38).Select(i => $"{(char)('b' + i / 13)}{(char)('a' + i % 13)}"),
    ];

    public const int MaskId = 5, FirstWord = 10;

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "langbridge-tiny-bert-" + Guid.NewGuid().ToString("N"));

    public TinyLqaeBert(int seed = 11)
    {
        Directory.CreateDirectory(Dir);
        var gen = new Generator((ulong)seed);
        var tensors = new List<SafeTensor>();
        void Add(string name, params long[] shape)
        {
            using var t = randn(shape, generator: gen) * 0.3f;
            tensors.Add(SafeTensor.Float32(name, shape, t.data<float>().ToArray()));
        }
        Add("embeddings.word_embeddings.weight", Vocabulary.Count, Hidden);
        Add("embeddings.position_embeddings.weight", Positions, Hidden);
        Add("embeddings.token_type_embeddings.weight", 2, Hidden);
        Add("embeddings.LayerNorm.weight", Hidden); Add("embeddings.LayerNorm.bias", Hidden);
        for (int i = 0; i < Layers; i++)
        {
            var p = $"encoder.layer.{i}.";
            foreach (var n in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            { Add(p + n + ".weight", Hidden, Hidden); Add(p + n + ".bias", Hidden); }
            Add(p + "attention.output.LayerNorm.weight", Hidden); Add(p + "attention.output.LayerNorm.bias", Hidden);
            Add(p + "intermediate.dense.weight", Ffn, Hidden); Add(p + "intermediate.dense.bias", Ffn);
            Add(p + "output.dense.weight", Hidden, Ffn); Add(p + "output.dense.bias", Hidden);
            Add(p + "output.LayerNorm.weight", Hidden); Add(p + "output.LayerNorm.bias", Hidden);
        }
        Safetensors.WriteFile(Path.Combine(Dir, HuggingFaceBert.WeightsFile), tensors);
        File.WriteAllText(Path.Combine(Dir, HuggingFaceBert.ConfigFile),
            $$"""{"model_type": "bert", "hidden_act": "gelu", "position_embedding_type": "absolute", "vocab_size": {{Vocabulary.Count}}, "hidden_size": {{Hidden}}, "num_hidden_layers": {{Layers}}, "num_attention_heads": {{Heads}}, "intermediate_size": {{Ffn}}, "max_position_embeddings": {{Positions}}, "type_vocab_size": 2, "layer_norm_eps": 1e-12}""");
        File.WriteAllLines(Path.Combine(Dir, HuggingFaceBert.VocabFile), Vocabulary);
    }

    /// <summary><see cref="TinyLqae.Recipe"/> reading through this BERT: 32 whole words, its first layer, half the words masked.</summary>
    public LqaeRecipe Recipe(int steps = 12, int layers = 1)
    {
        var tiny = TinyLqae.Recipe(steps);
        return tiny with
        {
            Name = "tiny-bert",
            Codebook = new CodebookSection { Size = 32, Dimension = Hidden },
            Bert = new BertSection { Model = Dir, Layers = layers, Vocabulary = BertVocabulary.Words, MaskedTokenWeight = 1e-4f },
            Masking = new MaskingSection { Ratio = 0.5f },
        };
    }

    /// <summary>The pipeline's model of <paramref name="recipe"/> (default <see cref="Recipe"/>), fresh weights from <paramref name="seed"/>.</summary>
    public LqaeKindModel Create(LqaeRecipe? recipe = null, int seed = 5)
    {
        manual_seed(seed);
        return (LqaeKindModel)new LqaeKind().Create(recipe ?? Recipe(), new KindContext(TestPaths.RepositoryRoot));
    }

    /// <summary>Trains <paramref name="kind"/> on <see cref="TinyLqae.Images"/> with the generic trainer, checkpoints checked against the model's identity (frozen inputs included).</summary>
    public static TrainingResult Train(LqaeKindModel kind, TrainerOptions options)
    {
        var recipe = kind.LqaeRecipe;
        if (recipe.Training.ResolveThreads(0) is > 0 and var threads) set_num_threads(threads);
        using var task = kind.CreateTrainingTask(TinyLqae.Images());
        return new Trainer(kind.TrainingPlan, recipe.Seed, kind.Module, task, kind.Identity).Train(options);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
