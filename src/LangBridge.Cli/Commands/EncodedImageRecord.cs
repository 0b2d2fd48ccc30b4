namespace LangBridge.Cli.Commands;

/// <summary>One image in `encode --features-json`: its tokens, the BERT's pooled feature (D) and last hidden states (N rows of D).</summary>
internal sealed record EncodedImageRecord(string Image, long[] Ids, string[] Words, float[] Features, float[][] HiddenStates);
