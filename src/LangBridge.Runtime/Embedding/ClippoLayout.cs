namespace LangBridge.Runtime;

/// <summary>
/// The tensors and assets of a <c>clippo</c> bundle, found by meaning and role. The image path is always
/// served; the text path only when the text encoder reads rendered text (the two-tower GloVe baseline's
/// text encoder reads word vectors the runtime cannot make, so <see cref="RenderedText"/> is then null).
/// </summary>
internal sealed class ClippoLayout(TensorSpec image, TensorSpec imageEmbeddings, TensorSpec? renderedText, TensorSpec? textEmbeddings, int dimension)
{
    public TensorSpec Image { get; } = image;
    public TensorSpec ImageEmbeddings { get; } = imageEmbeddings;
    public TensorSpec? RenderedText { get; } = renderedText;
    public TensorSpec? TextEmbeddings { get; } = textEmbeddings;
    public int Dimension { get; } = dimension;

    public const string ImageRole = "image_encoder", TextRole = "text_encoder";
    public const string FontAsset = "font", RendererAsset = "text_renderer";

    public static ClippoLayout Resolve(BundleManifest m)
    {
        var spec = m.Image ?? throw Invalid("it has no \"image\" section");
        var image = Graph(ImageRole);
        TensorDimension[] imageShape = [TensorDimension.Batch, spec.Channels, spec.Height, spec.Width];
        var pixels = Only(image.Inputs, TensorMeaning.Image, "the image encoder's input");
        Expect(pixels.Dtype == TensorDtype.Float32 && pixels.Shape.SequenceEqual(imageShape),
            $"the image encoder must take one float32 [{string.Join(", ", imageShape)}] \"{TensorMeaning.Image}\" input");
        var imageOut = Embeddings(image, "the image encoder");
        var dimension = (int)imageOut.Shape[1].Size!.Value;
        if (!m.Graphs.TryGetValue(TextRole, out var text) || text.FindInput(TensorMeaning.RenderedText) is null)
        {
            return new ClippoLayout(pixels, imageOut, null, null, dimension);
        }

        var canvas = Only(text.Inputs, TensorMeaning.RenderedText, "the text encoder's input");
        Expect(canvas.Dtype == TensorDtype.Float32 && canvas.Shape.Count == 4 && canvas.Shape[0] == TensorDimension.Batch &&
               canvas.Shape[1] == TensorDimension.Fixed(1) && !canvas.Shape[2].IsSymbolic && canvas.Shape[2] == canvas.Shape[3],
            $"the text encoder must take one float32 [batch, 1, S, S] \"{TensorMeaning.RenderedText}\" input, not {canvas.DescribeShape()}");
        var textOut = Embeddings(text, "the text encoder");
        Expect(textOut.Shape[1].Size == dimension, $"image and text embeddings must have one size (image {dimension}, text {textOut.Shape[1]})");
        Asset(FontAsset, AssetType.Font);
        Asset(RendererAsset, AssetType.TextRendererSettings);
        return new ClippoLayout(pixels, imageOut, canvas, textOut, dimension);

        GraphSpec Graph(string role) =>
            m.Graphs.TryGetValue(role, out var g) ? g : throw Invalid($"it has no \"{role}\" graph (it has [{string.Join(", ", m.Graphs.Keys)}])");

        TensorSpec Embeddings(GraphSpec g, string what)
        {
            var t = Only(g.Outputs, TensorMeaning.Embeddings, what + "'s output");
            Expect(t.Dtype == TensorDtype.Float32 && t.Shape.Count == 2 && t.Shape[0] == TensorDimension.Batch && !t.Shape[1].IsSymbolic,
                $"{what} must return one float32 [batch, E] \"{TensorMeaning.Embeddings}\" output, not {t.DescribeShape()}");
            return t;
        }

        TensorSpec Only(IReadOnlyList<TensorSpec> tensors, string meaning, string what)
        {
            Expect(tensors.Count == 1 && tensors[0].Meaning == meaning,
                $"{what} must be exactly one tensor with meaning \"{meaning}\" (found [{string.Join(", ", tensors.Select(t => $"{t.Name}: {t.Meaning ?? "no meaning"}"))}])");
            return tensors[0];
        }

        void Asset(string role, string type) =>
            Expect(m.Assets is not null && m.Assets.TryGetValue(role, out var a) && a.Type == type, $"it has no asset \"{role}\" of type \"{type}\"");

        void Expect(bool condition, string problem)
        {
            if (!condition) throw Invalid(problem);
        }

        BundleFormatException Invalid(string problem) =>
            new(ManifestJson.FileName, $"Bundle '{m.Name}' does not fit the CLIPPO embedders (kind \"{BundleKinds.Clippo}\"): {problem}. Re-export the bundle.");
    }
}
