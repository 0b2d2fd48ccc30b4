namespace LangBridge.Runtime;

/// <summary>
/// The tensors of an <c>lqae</c> bundle, found by meaning, and the checks that they have the shapes
/// <see cref="ImageTokenizer"/> builds buffers for. Run before any session exists (so errors name
/// the manifest, not a native failure) and by <see cref="BundleWriter.Seal"/> (so no such bundle is written).
/// </summary>
internal sealed record LqaeLayout(
    TensorSpec Image, TensorSpec Latents, TensorSpec QuantizerInput, TensorSpec TokenIds, TensorSpec? Codes,
    TensorSpec DecoderInput, TensorSpec DecodedImage)
{
    public const string Kind = "lqae";
    public const string EncoderRole = "encoder", QuantizerRole = "quantizer", DecoderRole = "decoder";

    public static LqaeLayout Resolve(BundleManifest m)
    {
        var tokens = m.Tokens ?? throw Invalid("it has no \"tokens\" section");
        var image = m.Image ?? throw Invalid("it has no \"image\" section");
        var encoder = Graph(EncoderRole);
        var quantizer = Graph(QuantizerRole);
        var decoder = Graph(DecoderRole);
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
        var decoderIn = Only(decoder.Inputs, TensorMeaning.TokenIds, "the decoder's input");
        Expect(Is(decoderIn, TensorDtype.Int64, idShape), $"the decoder must take one int64 {Text(idShape)} \"{TensorMeaning.TokenIds}\" input");
        var decoded = Only(decoder.Outputs, TensorMeaning.Image, "the decoder's output");
        Expect(Is(decoded, TensorDtype.Float32, imageShape), $"the decoder must return one float32 {Text(imageShape)} \"{TensorMeaning.Image}\" output");
        return new LqaeLayout(imageIn, latents, quantizerIn, ids!, codes, decoderIn, decoded);

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
