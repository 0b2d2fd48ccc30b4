using LangBridge.Onnx.Export;
using LangBridge.Onnx.Graph;
using LangBridge.Pretrained.Models;
using static TorchSharp.torch;

namespace LangBridge.Training.Lqae;

/// <summary>
/// The frozen BERT between LQAE's words and its decoder: token ids (B, N) into the codebook, with id
/// <see cref="MaskId"/> (one past the last word) for <c>[MASK]</c>, and an attention mask (B, N) → the last
/// hidden states (B, N, D). Each word enters as its own row of the BERT's word table (not the normalised
/// copy the search uses), so the BERT reads the words it was trained on; <see cref="BertBody"/> adds the
/// position and token-type embeddings and runs the (first k) layers. Nothing here trains.
/// </summary>
public sealed class LqaeBert : nn.Module<Tensor, Tensor, Tensor>, IOnnxExportable
{
    private readonly Tensor input_table;     // (V + 1, D): the codebook's rows of the word table, then [MASK]
    private readonly Tensor row_norms;       // (V): L2 norm of each word's row (scales the straight-through gradient)
    private readonly BertBody body;

    /// <param name="words">(V, D) the codebook's rows of the BERT's word table, as the BERT embeds them.</param>
    /// <param name="maskVector">(D) the table's <c>[MASK]</c> row.</param>
    /// <param name="body">The frozen BERT without its word table.</param>
    public LqaeBert(Tensor words, Tensor maskVector, BertBody body, string name = "LqaeBert") : base(name)
    {
        if (words.ndim != 2 || words.shape[1] != body.HiddenSize || maskVector.ndim != 1 || maskVector.shape[0] != body.HiddenSize)
            throw new ArgumentException($"the BERT has hidden size {body.HiddenSize}; got words [{string.Join(", ", words.shape)}] and a [MASK] vector [{string.Join(", ", maskVector.shape)}]");
        using (no_grad())
        {
            input_table = cat([words.detach().to_type(ScalarType.Float32), maskVector.detach().to_type(ScalarType.Float32).unsqueeze(0)], 0).contiguous();
            row_norms = words.detach().to_type(ScalarType.Float32).norm(1, keepdim: false);
        }
        this.body = body.IsFrozen ? body : body.Frozen();
        RegisterComponents();
    }

    /// <summary>Words in the codebook (V); <see cref="MaskId"/> = V stands for <c>[MASK]</c>.</summary>
    public long Words => row_norms.shape[0];

    /// <summary>The id that feeds the BERT its <c>[MASK]</c> embedding.</summary>
    public long MaskId => Words;

    public int HiddenSize => body.HiddenSize;
    public BertBody Body => body;

    /// <summary>The <c>[MASK]</c> row (D), a view.</summary>
    public Tensor MaskVector => input_table[MaskId];

    /// <summary>The codebook's rows of the word table (V, D), a view: the tied output layer of the masked-token loss.</summary>
    public Tensor WordTable => input_table.narrow(0, 0, Words);

    /// <summary>The BERT's input vector of each id (B, N) → (B, N, D), <see cref="MaskId"/> included.</summary>
    public Tensor Embed(Tensor ids)
    {
        using var scope = NewDisposeScope();
        return input_table.index_select(0, ids.flatten()).reshape([.. ids.shape, input_table.shape[1]]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The BERT's input for unit-norm latents <paramref name="latents"/> (B, N, D) quantized to <paramref name="ids"/>
    /// (B, N): forward, each position's word row exactly (or the <c>[MASK]</c> row where <paramref name="mask"/>
    /// (B, N) is set); backward, the straight-through estimator, the gradient reaching the latent scaled by the
    /// row's norm (the row is the unit word vector times it). Masked positions pass no gradient.
    /// </summary>
    public Tensor StraightThrough(Tensor latents, Tensor ids, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var flat = ids.flatten();
        var rows = input_table.index_select(0, flat).view(latents.shape);                           // (B, N, D)
        var scaled = latents * row_norms.index_select(0, flat).view(ids.shape[0], ids.shape[1], 1);   // (B, N, D)
        var vectors = rows + (scaled - scaled.detach());                                             // value: rows; gradient: to the latents
        if (mask is not null) vectors = where(mask.unsqueeze(-1), MaskVector, vectors);
        return vectors.MoveToOuterDisposeScope();
    }

    /// <summary>Last hidden states (B, N, D) of input vectors (B, N, D), every position a token.</summary>
    public Tensor Read(Tensor vectors) => body.Read(vectors);

    /// <summary>ids (B, N) int64 (<see cref="MaskId"/> = [MASK]), attention mask (B, N) → hidden states (B, N, D).</summary>
    public override Tensor forward(Tensor ids, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        return body.call(Embed(ids), attentionMask).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Scores of hidden states (M, D) against every word of the codebook (M, V) by the tied word table:
    /// the package's MiniLM has no MLM head (no transform, no output bias), so the table itself is the output layer.
    /// </summary>
    public Tensor WordScores(Tensor hidden) => hidden.matmul(WordTable.t());

    /// <summary>Inputs token_ids (B, N) int64 and attention_mask (B, N) int64 → hidden_states (B, N, D).</summary>
    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs)
    {
        if (inputs[0].ElementType != OnnxElementType.Int64) throw new InvalidOperationException($"Token ids must be int64, got {inputs[0]}.");
        var vectors = c.Builder.Gather(c.Weight(input_table, nameof(input_table)), inputs[0], axis: 0);   // (B, N, D)
        return c.Export(body, "body", inputs.Count == 2 ? [vectors, inputs[1]] : [vectors]);
    }
}

/// <summary>Token ids (B, N) → the BERT's last hidden states (B, N, D), every position a token: the decoder graph's BERT.</summary>
internal sealed class LqaeBertTokens(LqaeBert bert) : nn.Module<Tensor, Tensor>("LqaeBertTokens"), IOnnxExportable
{
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        return bert.Read(bert.Embed(ids)).MoveToOuterDisposeScope();
    }

    public IReadOnlyList<OnnxValue> ExportOnnx(OnnxExportContext c, IReadOnlyList<OnnxValue> inputs) => bert.ExportOnnx(c, inputs);
}
