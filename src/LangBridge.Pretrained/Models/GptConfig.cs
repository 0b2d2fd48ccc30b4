namespace LangBridge.Pretrained.Models;

/// <summary>
/// The shape of a GPT-2-family causal language model: pre-norm blocks, learned absolute positions,
/// causal self-attention, a 4× MLP with tanh-approximated GELU (GPT-2's <c>gelu_new</c>), a final LayerNorm,
/// and the output layer tied to the token embeddings. Keys in <see cref="Validate"/>'s errors are Hugging
/// Face's <c>config.json</c> names.
/// </summary>
public sealed record GptConfig
{
    public int VocabSize { get; init; } = 50257;
    /// <summary>Positions the model has (<c>n_positions</c>): the longest prompt + continuation.</summary>
    public int ContextLength { get; init; } = 1024;
    public int Width { get; init; } = 768;
    public int Layers { get; init; } = 12;
    public int Heads { get; init; } = 12;
    /// <summary>MLP hidden width (<c>n_inner</c>; GPT-2: 4 × width).</summary>
    public int InnerWidth { get; init; } = 3072;
    public double LayerNormEps { get; init; } = 1e-5;
    /// <summary>Dropout on embeddings, attention output and MLP output while the LM itself trains (0 when frozen).</summary>
    public double Dropout { get; init; } = 0.0;

    public int HeadSize => Width / Heads;

    /// <summary>Fails naming the first impossible value.</summary>
    public void Validate(string source)
    {
        void Positive(string key, int v) { if (v <= 0) throw new PretrainedFormatException(source, key, $"must be positive, got {v}."); }
        Positive("vocab_size", VocabSize); Positive("n_positions", ContextLength); Positive("n_embd", Width);
        Positive("n_layer", Layers); Positive("n_head", Heads); Positive("n_inner", InnerWidth);
        if (Width % Heads != 0) throw new PretrainedFormatException(source, "n_head", $"{Heads} heads do not divide n_embd {Width}.");
        if (!(LayerNormEps > 0)) throw new PretrainedFormatException(source, "layer_norm_epsilon", $"must be positive, got {LayerNormEps}.");
        if (Dropout is < 0 or >= 1) throw new PretrainedFormatException(source, "dropout", $"must be in [0, 1), got {Dropout}.");
    }
}
