using System.Text.Json.Nodes;
using LangBridge.Data;
using LangBridge.Pretrained.Import;
using LangBridge.Pretrained.Models;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Export;

/// <summary>How much of a BERT <see cref="BertTruncation"/> keeps.</summary>
/// <param name="Hidden">Leading hidden dimensions kept: a multiple of the head size, so whole heads stay.</param>
/// <param name="Layers">Leading layers kept.</param>
/// <param name="Intermediate">Leading feed-forward units kept.</param>
/// <param name="Positions">Leading positions kept.</param>
/// <param name="Words">Vocabulary entries kept: the special tokens, then the first whole lower-case words in id order.</param>
public sealed record BertTruncationOptions(int Hidden = 64, int Layers = 1, int Intermediate = 256, int Positions = 64, int Words = 512);

/// <summary>
/// A literal truncation of a BERT, for small reference models: the leading hidden dimensions (whole heads),
/// layers, feed-forward units and positions of every tensor, and a vocabulary cut to the special tokens and the
/// first whole words, written as a Hugging Face BERT folder (<see cref="HuggingFaceBert.Load"/> reads it). Its
/// outputs are not the original's, but its word vectors are the original's words' (their leading dimensions),
/// and it is small enough to commit.
/// </summary>
public static class BertTruncation
{
    public static readonly string[] SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    public static void Write(BertEncoder encoder, IReadOnlyList<string> vocabulary, string folder, BertTruncationOptions options)
    {
        var c = encoder.Config;
        if (options.Hidden <= 0 || options.Hidden > c.HiddenSize || options.Hidden % c.HeadSize != 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"hidden {options.Hidden} must be a multiple of the head size {c.HeadSize} up to {c.HiddenSize}");
        if (options.Layers < 1 || options.Layers > c.Layers) throw new ArgumentOutOfRangeException(nameof(options), $"layers must be 1..{c.Layers}");
        if (options.Intermediate < 1 || options.Intermediate > c.IntermediateSize) throw new ArgumentOutOfRangeException(nameof(options), $"intermediate must be 1..{c.IntermediateSize}");
        if (options.Positions < 1 || options.Positions > c.MaxPositions) throw new ArgumentOutOfRangeException(nameof(options), $"positions must be 1..{c.MaxPositions}");

        var specials = SpecialTokens.Select(t => vocabulary.ToList().IndexOf(t)).ToArray();
        if (specials.Any(i => i < 0)) throw new ArgumentException($"the vocabulary lacks one of {string.Join(", ", SpecialTokens)}");
        var words = Enumerable.Range(0, vocabulary.Count)
            .Where(i => vocabulary[i].Length > 0 && vocabulary[i].All(char.IsAsciiLetterLower))
            .Take(options.Words).ToArray();
        if (words.Length < options.Words) throw new ArgumentException($"the vocabulary has only {words.Length} whole words");
        var keptIds = specials.Concat(words).Select(i => (long)i).ToArray();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tensors = new List<SafeTensor>();
        foreach (var (name, p) in encoder.named_parameters())
        {
            if (name.StartsWith("pooler", StringComparison.Ordinal)) continue;
            if (name.StartsWith("layers.", StringComparison.Ordinal) && int.Parse(name.Split('.')[1]) >= options.Layers) continue;
            var t = p.detach();
            for (int dim = 0; dim < t.dim(); dim++)
            {
                long size = t.shape[dim];
                if (name.StartsWith("word_embeddings", StringComparison.Ordinal) && dim == 0) t = t.index_select(0, tensor(keptIds));
                else if (size == c.HiddenSize) t = t.narrow(dim, 0, options.Hidden);
                else if (size == c.IntermediateSize) t = t.narrow(dim, 0, options.Intermediate);
                else if (size == c.MaxPositions && dim == 0) t = t.narrow(0, 0, options.Positions);
            }
            t = t.contiguous();
            tensors.Add(SafeTensor.Float32(BertEncoder.HfName(name), t.shape, t.data<float>().ToArray()));
        }
        Directory.CreateDirectory(folder);
        Safetensors.WriteFile(Path.Combine(folder, HuggingFaceBert.WeightsFile), tensors);
        File.WriteAllLines(Path.Combine(folder, HuggingFaceBert.VocabFile), keptIds.Select(i => vocabulary[(int)i]));
        var config = new JsonObject
        {
            ["model_type"] = "bert", ["hidden_act"] = "gelu", ["position_embedding_type"] = "absolute",
            ["vocab_size"] = keptIds.Length, ["hidden_size"] = options.Hidden, ["num_hidden_layers"] = options.Layers,
            ["num_attention_heads"] = options.Hidden / c.HeadSize, ["intermediate_size"] = options.Intermediate,
            ["max_position_embeddings"] = options.Positions, ["type_vocab_size"] = c.TypeVocabSize, ["layer_norm_eps"] = c.LayerNormEps,
            ["do_lower_case"] = true,
        };
        File.WriteAllText(Path.Combine(folder, HuggingFaceBert.ConfigFile), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
