using System.CommandLine;
using System.Text.Json;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge embed-text &lt;bundle&gt; "sentence"…`: sentence embeddings through the runtime's <see cref="TextEmbedder"/>
/// (a text-encoder bundle such as MiniLM, or a CLIPPO bundle), each printed as its first components and norm, and
/// for two or more sentences their cosine similarity matrix; <c>--json</c> prints the full vectors and the matrix.
/// </summary>
internal static class EmbedTextCommand
{
    public static Command Create()
    {
        var session = new BundleSessionOptions();
        var sentences = new Argument<string[]>("sentences") { Description = "Texts to embed (quote each).", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Machine output: every vector in full and the similarity matrix, as JSON." };
        var command = new Command("embed-text",
            "Embed sentences with the runtime library (a text-encoder bundle, e.g. from `langbridge pretrained export`, or a CLIPPO bundle): " +
            "each embedding's first components and norm, and for two or more sentences the cosine similarity matrix. A sentence cut to fit is marked truncated.");
        command.Arguments.Add(sentences);
        command.Options.Add(json);
        session.AddTo(command);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            using var embedder = TextEmbedder.Open(session.Folder(parse), session.RuntimeOptions(parse));
            Console.Error.WriteLine($"bundle {embedder.Bundle.Manifest.Name} ({embedder.Kind}): {embedder.Dimension} dims; provider {embedder.ExecutionProvider.Provider} ({embedder.ExecutionProvider.Reason})");
            var texts = parse.GetValue(sentences)!;
            var embeddings = embedder.Embed(texts);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    Bundle = embedder.Bundle.Manifest.Name,
                    embedder.Kind,
                    embedder.Dimension,
                    Embeddings = texts.Select((t, i) => new { Text = t, embeddings[i].Truncated, Vector = embeddings[i].Vector.ToArray() }),
                    Similarity = EmbeddingOutput.Similarities(embeddings),
                }, EmbeddingOutput.Json));
                return 0;
            }

            for (var i = 0; i < texts.Length; i++)
            {
                Console.Out.WriteLine($"[{i + 1}] \"{texts[i]}\": {EmbeddingOutput.Describe(embeddings[i])}");
            }

            if (texts.Length >= 2) EmbeddingOutput.WriteMatrix(Console.Out, embeddings);
            return 0;
        }));
        return command;
    }
}
