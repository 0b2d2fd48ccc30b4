using System.CommandLine;
using System.Text.Json;
using LangBridge.Imaging;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge embed &lt;bundle&gt; &lt;image-or-text…&gt;`: CLIPPO embeddings of images (an argument naming an existing
/// file or ending in .png/.jpg/.jpeg) and texts (any other argument) in one space, through the runtime's
/// <see cref="ImageEmbedder"/> and <see cref="TextEmbedder"/>, with the cosine similarity of every pair. An image
/// that cannot be read is reported on standard error and left out; the exit code is then 1.
/// </summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var session = new BundleSessionOptions();
        var inputs = new Argument<string[]>("inputs") { Description = "Image files (PNG, JPEG) and texts, in any order.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Machine output: every vector in full and the similarity matrix, as JSON." };
        var command = new Command("embed",
            "Embed images and texts with a CLIPPO bundle (runtime library): an argument naming an image file is an image (brought to the bundle's size " +
            "and channels as in training), any other argument a text (rendered with the bundle's font). Prints each embedding and the cosine similarity of every pair. " +
            "Unreadable images are reported on standard error and skipped; the exit code is then 1.");
        command.Arguments.Add(inputs);
        command.Options.Add(json);
        session.AddTo(command);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var bundle = ModelBundle.Load(session.Folder(parse));
            var options = session.RuntimeOptions(parse);
            using var images = ImageEmbedder.Create(bundle, options);
            // Only when a text comes: a bundle whose text side the runtime cannot serve still embeds images.
            var texts = new Lazy<TextEmbedder>(() => TextEmbedder.Create(bundle, options));
            using var disposeTexts = new LazyDisposal<TextEmbedder>(texts);
            Console.Error.WriteLine($"bundle {bundle.Manifest.Name} ({bundle.Manifest.Kind}): {images.Dimension} dims; provider {images.ExecutionProvider.Provider} ({images.ExecutionProvider.Reason})");
            var preprocessor = new ImagePreprocessor(images.Image);
            var arguments = parse.GetValue(inputs)!;
            var embedded = new List<(string Kind, string Input, Embedding Embedding)>();
            var failed = 0;
            foreach (var argument in arguments)
            {
                ct.ThrowIfCancellationRequested();
                if (!ImageArguments.IsImage(argument))
                {
                    embedded.Add(("text", argument, texts.Value.Embed(argument)));
                }
                else if (ImageArguments.TryLoad(preprocessor, argument) is { } pixels)
                {
                    embedded.Add(("image", argument, images.Embed(pixels)));
                }
                else
                {
                    failed++;
                }
            }

            var vectors = embedded.Select(e => e.Embedding).ToArray();
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    Bundle = bundle.Manifest.Name,
                    images.Dimension,
                    Embeddings = embedded.Select(e => new { e.Kind, e.Input, e.Embedding.Truncated, Vector = e.Embedding.Vector.ToArray() }),
                    Similarity = EmbeddingOutput.Similarities(vectors),
                }, EmbeddingOutput.Json));
            }
            else
            {
                for (var i = 0; i < embedded.Count; i++)
                {
                    var (kind, input, embedding) = embedded[i];
                    Console.Out.WriteLine($"[{i + 1}] {kind} {(kind == "text" ? $"\"{input}\"" : input)}: {EmbeddingOutput.Describe(embedding)}");
                }

                if (embedded.Count >= 2) EmbeddingOutput.WriteMatrix(Console.Out, vectors);
            }

            if (failed == 0) return 0;
            Console.Error.WriteLine($"error: {failed} of {arguments.Length} inputs could not be read; the other {arguments.Length - failed} were embedded.");
            return CommandErrors.UserError;
        }));
        return command;
    }
}

/// <summary>Disposes a lazily created value, if it was created.</summary>
internal sealed class LazyDisposal<T>(Lazy<T> lazy) : IDisposable where T : IDisposable
{
    public void Dispose()
    {
        if (lazy.IsValueCreated) lazy.Value.Dispose();
    }
}
