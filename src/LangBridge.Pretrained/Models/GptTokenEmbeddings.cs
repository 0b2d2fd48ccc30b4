using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using static TorchSharp.torch;

namespace LangBridge.Pretrained.Models;

/// <summary>
/// A causal LM's token-embedding lookup on its own, ids (B, S) int64 → (B, S, D), for a bundle whose decoding graph
/// reads embeddings: the application embeds the prompt and each generated token with it. Shares the LM's table
/// (a view, not a parameter of its own).
/// </summary>
public sealed class GptTokenEmbeddings : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly GptModel lm;

    public GptTokenEmbeddings(GptModel lm, string name = "GptTokenEmbeddings") : base(name) => this.lm = lm;

    public override Tensor forward(Tensor ids) => lm.Embed(ids);

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs) =>
        [c.Builder.Gather(c.Weight(lm.TokenEmbeddings, "wte"), inputs[0])];
}
