using System.Text;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Pretrained.Models;
using LangBridge.Runtime;

namespace LangBridge.Pretrained.Export;

/// <summary>
/// Writes a frozen <see cref="BertEncoder"/> as a bundle of kind <c>text-encoder</c>, the one
/// <see cref="TextEmbedder"/> serves: <c>text_encoder.onnx</c> (input_ids + attention_mask, int64
/// <c>[batch, sequence]</c> → hidden_states), the WordPiece vocabulary and the tokenizer and pooling
/// settings as assets, sealed. Written into a staging folder beside the target and moved into place
/// when complete, so an existing bundle is replaced whole.
/// </summary>
public static class TextEncoderBundle
{
    public const string GraphFile = "text_encoder.onnx", VocabularyFile = "vocab.txt";

    /// <summary>Exports <paramref name="encoder"/> with <paramref name="tokenizer"/>'s vocabulary and options into <paramref name="folder"/>.</summary>
    /// <exception cref="PretrainedException">The tokenizer does not fit the encoder (vocabulary size, maximum length).</exception>
    /// <exception cref="IOException">The folder exists and is not a bundle.</exception>
    public static BundleManifest Export(BertEncoder encoder, WordPieceTokenizer tokenizer, string folder, string name,
        int opset = OnnxOpset.Default, string producer = "langbridge")
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var config = encoder.Config;
        if (tokenizer.Vocabulary.Count != config.VocabSize)
            throw new PretrainedException($"the vocabulary has {tokenizer.Vocabulary.Count:N0} tokens but the encoder's embedding table {config.VocabSize:N0} rows: they do not belong together.");
        if (tokenizer.Options.MaxLength > config.MaxPositions)
            throw new PretrainedException($"a maximum length of {tokenizer.Options.MaxLength} tokens exceeds the encoder's {config.MaxPositions} positions.");

        var target = Path.GetFullPath(folder);
        var staging = BundleFolder.Stage(target);
        try
        {
            var result = encoder.ExportOnnx(opset);
            result.Save(Path.Combine(staging, GraphFile));
            var vocabulary = string.Concat(tokenizer.Vocabulary.Tokens.Select(t => t + "\n"));
            File.WriteAllBytes(Path.Combine(staging, VocabularyFile), new UTF8Encoding(false).GetBytes(vocabulary));
            File.WriteAllBytes(Path.Combine(staging, TextEncoderSettings.FileName), TextEncoderSettings.From(tokenizer.Options).ToJson());
            var manifest = BundleWriter.Seal(staging, new BundleManifest
            {
                Name = name,
                Kind = BundleKinds.TextEncoder,
                Producer = producer,
                Opset = opset,
                IrVersion = (int)result.Model.IrVersion,
                Graphs = new Dictionary<string, GraphSpec>
                {
                    ["text_encoder"] = new()
                    {
                        File = GraphFile,
                        Inputs = result.Inputs.Select(ToSpec).ToArray(),
                        Outputs = result.Outputs.Select(ToSpec).ToArray(),
                    },
                },
                Assets = new Dictionary<string, AssetSpec>
                {
                    ["text_vocabulary"] = new() { File = VocabularyFile, Type = AssetType.Vocabulary },
                    ["text_encoder"] = new() { File = TextEncoderSettings.FileName, Type = AssetType.TextEncoderSettings },
                },
            });
            BundleFolder.Publish(staging, target);
            return manifest;
        }
        catch
        {
            BundleFolder.Discard(staging);
            throw;
        }
    }

    // The exported names say what each tensor holds.
    private static TensorSpec ToSpec(OnnxValue value) => new()
    {
        Name = value.Name,
        Dtype = value.ElementType.ToShortName(),
        Meaning = value.Name switch
        {
            BertEncoder.InputIdsName => TensorMeaning.InputIds,
            BertEncoder.AttentionMaskName => TensorMeaning.AttentionMask,
            BertEncoder.HiddenStatesName => TensorMeaning.HiddenStates,
            _ => null,
        },
        Shape = value.Shape.Select(d => d.IsStatic ? TensorDimension.Fixed(d.Size) : TensorDimension.Named(d.Param!)).ToArray(),
    };
}
