using LangBridge.Onnx.Export;
using LangBridge.Runtime;
using static TorchSharp.torch;

namespace LangBridge.Training.Pipeline;

/// <summary>One graph input: the exporter's spec (name, element type, shape with named symbolic dimensions) and what it means.</summary>
public sealed record GraphInput(OnnxInputSpec Spec, string Meaning);

/// <summary>One graph output: its name and what it means (<c>token_ids</c>, <c>image</c>, <c>embeddings</c>, …).</summary>
public sealed record GraphOutput(string Name, string Meaning);

/// <summary>
/// One exported graph of a bundle: <see cref="Module"/> exported with <see cref="Inputs"/>, its outputs named
/// <see cref="Outputs"/>. The manifest's tensor specs are derived from what the export produced.
/// </summary>
public sealed record GraphDefinition(string Role, nn.Module Module, IReadOnlyList<GraphInput> Inputs, IReadOnlyList<GraphOutput> Outputs)
{
    /// <summary>The graph's file in the bundle.</summary>
    public string File => Role + ".onnx";
}

/// <summary>A file of the bundle that is not a graph (vocabulary, tokenizer files, a font), hashed like the graphs.</summary>
public sealed record BundleAsset(string Role, string File, string Type, byte[] Content);

/// <summary>Everything a kind's bundle holds: graphs, assets, and the manifest sections that describe its image and tokens.</summary>
public sealed record BundleDefinition(IReadOnlyList<GraphDefinition> Graphs, IReadOnlyList<BundleAsset> Assets,
    ImageSpec? Image = null, TokenSpec? Tokens = null);
