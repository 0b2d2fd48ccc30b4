namespace LangBridge.Runtime;

/// <summary>
/// The tensors of an <c>lqae</c> bundle, found by meaning, and the checks that they have the shapes
/// <see cref="ImageTokenizer"/> builds buffers for. Run before any session exists (so errors name
/// the manifest, not a native failure) and by <see cref="BundleWriter.Seal"/> (so no such bundle is written).
/// </summary>
/// <remarks>
/// A bundle with a <c>bert</c> graph (token ids + attention mask → hidden states) also has a
/// <c>hidden_decoder</c> (hidden states → image) and decodes through both, so its <c>decoder</c>
/// graph is optional (<see cref="Decoder"/> is null when absent); without one the <c>decoder</c> is required.
/// </remarks>
internal sealed record LqaeLayout(
    TensorSpec Image, TensorSpec Latents, TensorSpec QuantizerInput, TensorSpec TokenIds, TensorSpec? Codes,
    LqaeDecoderLayout? Decoder, LqaeBertLayout? Bert)
{
    public const string Kind = "lqae";
    public const string EncoderRole = "encoder", QuantizerRole = "quantizer", DecoderRole = "decoder";
    public const string BertRole = "bert", HiddenDecoderRole = "hidden_decoder";

    public static LqaeLayout Resolve(BundleManifest m)
    {
        var tokens = m.Tokens ?? throw Invalid("it has no \"tokens\" section");
        var image = m.Image ?? throw Invalid("it has no \"image\" section");
        var encoder = Graph(EncoderRole);
        var quantizer = Graph(QuantizerRole);
        var hasBert = m.Graphs.ContainsKey(BertRole);
        TensorDimension[] imageShape = [TensorDimension.Batch, image.Channels, image.Height, image.Width];
        TensorDimension[] idShape = [TensorDimension.Batch, tokens.PerImage];
        TensorDimension[] codeShape = [TensorDimension.Batch, tokens.PerImage, tokens.EmbeddingDim];

        var imageIn = Only(encoder.Inputs, TensorMeaning.Image, "the encoder's input");
        Expect(Is(imageIn, TensorDtype.Float32, imageShape), $"the encoder must take one float32 {Text(imageShape)} \"{TensorMeaning.Image}\" input");
        var latents = Only(encoder.Outputs, TensorMeaning.Latents, "the encoder's output");
        Expect(latents.Dtype == TensorDtype.Float32 && latents.Shape[0] == TensorDimension.Batch && latents.Shape.Skip(1).All(d => !d.IsSymbolic),
            $"the encoder must return one float32 [batch, …] \"{TensorMeaning.Latents}\" output with static dimensions after batch");
        var quantizerIn = Only(quantizer.Inputs, TensorMeaning.Latents, "the quantizer's input");
        Expect(Is(quantizerIn, TensorDtype.Float32, latents.Shape),
            $"the quantizer must take one float32 \"{TensorMeaning.Latents}\" input shaped like the encoder output {latents.DescribeShape()}");
        var ids = quantizer.FindOutput(TensorMeaning.TokenIds);
        var codes = quantizer.FindOutput(TensorMeaning.Codes);
        Expect(ids is not null && Is(ids, TensorDtype.Int64, idShape) && quantizer.Outputs.Count == (codes is null ? 1 : 2) &&
               quantizer.Outputs.Count(t => t.Meaning == TensorMeaning.TokenIds) == 1,
            $"the quantizer must return one int64 {Text(idShape)} \"{TensorMeaning.TokenIds}\" output (and optionally one float32 \"{TensorMeaning.Codes}\" output, nothing else)");
        Expect(codes is null || Is(codes, TensorDtype.Float32, codeShape),
            $"the quantizer's \"{TensorMeaning.Codes}\" output must be float32 {Text(codeShape)}");
        var decoder = hasBert && !m.Graphs.ContainsKey(DecoderRole) ? null : TokenDecoder(Graph(DecoderRole));
        var bert = hasBert ? BertPath(Graph(BertRole), Graph(HiddenDecoderRole)) : null;
        return new LqaeLayout(imageIn, latents, quantizerIn, ids!, codes, decoder, bert);

        LqaeDecoderLayout TokenDecoder(GraphSpec decoder)
        {
            var decoderIn = Only(decoder.Inputs, TensorMeaning.TokenIds, "the decoder's input");
            Expect(Is(decoderIn, TensorDtype.Int64, idShape), $"the decoder must take one int64 {Text(idShape)} \"{TensorMeaning.TokenIds}\" input");
            var decoded = Only(decoder.Outputs, TensorMeaning.Image, "the decoder's output");
            Expect(Is(decoded, TensorDtype.Float32, imageShape), $"the decoder must return one float32 {Text(imageShape)} \"{TensorMeaning.Image}\" output");
            return new LqaeDecoderLayout(decoderIn, decoded);
        }

        LqaeBertLayout BertPath(GraphSpec bert, GraphSpec hiddenDecoder)
        {
            var bertIds = bert.FindInput(TensorMeaning.TokenIds);
            var attention = bert.FindInput(TensorMeaning.AttentionMask);
            Expect(bert.Inputs.Count == 2 && bertIds is not null && Is(bertIds, TensorDtype.Int64, idShape) &&
                   attention is not null && Is(attention, TensorDtype.Int64, idShape),
                $"the bert graph must take an int64 {Text(idShape)} \"{TensorMeaning.TokenIds}\" and an int64 {Text(idShape)} \"{TensorMeaning.AttentionMask}\" input");
            var hidden = Only(bert.Outputs, TensorMeaning.HiddenStates, "the bert graph's output");
            Expect(hidden.Dtype == TensorDtype.Float32 && hidden.Shape.Count == 3 && hidden.Shape[0] == TensorDimension.Batch &&
                   hidden.Shape[1] == TensorDimension.Fixed(tokens.PerImage) && !hidden.Shape[2].IsSymbolic,
                $"the bert graph must return one float32 [batch, {tokens.PerImage}, hidden] \"{TensorMeaning.HiddenStates}\" output");
            var hiddenIn = Only(hiddenDecoder.Inputs, TensorMeaning.HiddenStates, "the hidden_decoder's input");
            Expect(Is(hiddenIn, TensorDtype.Float32, hidden.Shape),
                $"the hidden_decoder must take one float32 \"{TensorMeaning.HiddenStates}\" input shaped like the bert output {hidden.DescribeShape()}");
            var decoded = Only(hiddenDecoder.Outputs, TensorMeaning.Image, "the hidden_decoder's output");
            Expect(Is(decoded, TensorDtype.Float32, imageShape), $"the hidden_decoder must return one float32 {Text(imageShape)} \"{TensorMeaning.Image}\" output");
            return new LqaeBertLayout(bertIds!, attention!, hidden, hiddenIn, decoded);
        }

        GraphSpec Graph(string role) =>
            m.Graphs.TryGetValue(role, out var g) ? g : throw Invalid($"it has no \"{role}\" graph (it has [{string.Join(", ", m.Graphs.Keys)}])");

        TensorSpec Only(IReadOnlyList<TensorSpec> tensors, string meaning, string what)
        {
            Expect(tensors.Count == 1 && tensors[0].Meaning == meaning,
                $"{what} must be exactly one tensor with meaning \"{meaning}\" (found [{string.Join(", ", tensors.Select(t => $"{t.Name}: {t.Meaning ?? "no meaning"}"))}])");
            return tensors[0];
        }

        void Expect(bool condition, string problem)
        {
            if (!condition)
            {
                throw Invalid(problem);
            }
        }

        BundleFormatException Invalid(string problem) =>
            new(ManifestJson.FileName, $"Bundle '{m.Name}' does not fit ImageTokenizer (kind \"{Kind}\"): {problem}. Re-export the bundle.");

        static bool Is(TensorSpec t, string dtype, IReadOnlyList<TensorDimension> shape) =>
            t.Dtype == dtype && t.Shape.SequenceEqual(shape);

        static string Text(IEnumerable<TensorDimension> shape) => "[" + string.Join(", ", shape) + "]";
    }
}
