using LangBridge.Layers;
using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Training.Limber;
using static TorchSharp.torch;

namespace LangBridge.Training.Vlap;

/// <summary>
/// The frozen LM's word-embedding table, L2-normalised (V, D), as VLAP scores into it: an image's mapped vector
/// is the mean of its bridge's soft tokens, a caption's text feature the mean of the LM's reading of it, and
/// either's word scores its unit vector against every unit word. Exported as the bundle's <c>words</c> graph
/// (soft tokens → word scores).
/// </summary>
public sealed class WordSpace : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Tensor unit_words;                                                              // (V, D)

    public WordSpace(Tensor tokenEmbeddings, string name = "WordSpace") : base(name)
    {
        using var noGrad = no_grad();
        unit_words = L2Normalize.Apply(tokenEmbeddings.detach(), 1, Eps);
        RegisterComponents();
    }

    private const double Eps = 1e-12;

    /// <summary>Cosine scores (B, V) of vectors (B, D) against every word.</summary>
    public Tensor Scores(Tensor vectors)
    {
        using var unit = L2Normalize.Apply(vectors, 1, Eps);
        return unit.matmul(unit_words.t());
    }

    /// <summary>An image's mapped vector: the mean of its soft tokens (B, k, D) → (B, D).</summary>
    public static Tensor Mapped(Tensor softTokens) => softTokens.mean([1]);

    /// <summary>Word scores (B, V) of soft tokens (B, k, D): what the <c>words</c> graph computes.</summary>
    public override Tensor forward(Tensor softTokens)
    {
        using var mapped = Mapped(softTokens);
        return Scores(mapped);
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        var b = c.Builder;
        var mapped = b.ReduceMean(inputs[0], [1], keepDims: false);                                 // (B, D)
        var unit = L2Normalize.Emit(c, mapped, 1, Eps);
        return [b.MatMul(unit, c.Weight(unit_words.t().contiguous(), "unit_words_t"))];              // (B, V)
    }

    /// <summary>
    /// Text features (B, D) of captions: <see cref="VlapTextFeature.Lm"/> the mean of the frozen LM's last hidden states
    /// over the caption's tokens and its end of text, read after the prompt; <see cref="VlapTextFeature.Embeddings"/> the
    /// mean of those tokens' input embeddings. No gradient: the LM is frozen and the captions are data.
    /// </summary>
    public static Tensor TextFeatures(LimberModel model, CaptionTargets targets, VlapTextFeature kind)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var caption = model.Lm.Embed(targets.Ids);                                                   // (B, C, D)
        Tensor states;
        if (kind == VlapTextFeature.Embeddings) states = caption;
        else
        {
            using var prompt = model.PromptOnly(targets.Ids.shape[0]);                               // (B, P, D)
            states = model.Lm.Hidden(cat([prompt, caption], 1)).narrow(1, prompt.shape[1], caption.shape[1]);   // (B, C, D)
        }
        var w = targets.Weights.unsqueeze(2);                                                        // (B, C, 1)
        return states.mul(w).sum(1).div(w.sum(1)).MoveToOuterDisposeScope();                        // (B, D)
    }
}
