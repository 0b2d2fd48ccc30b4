using System.Globalization;
using System.Text.Json;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>How the embedding commands print: a vector's first components and norm, a cosine matrix, JSON.</summary>
internal static class EmbeddingOutput
{
    /// <summary>Components shown per vector in text output.</summary>
    public const int ShownComponents = 6;

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary><c>[0.0123, -0.0456, … 384 dims] norm 1.000000</c>.</summary>
    public static string Describe(Embedding e)
    {
        var shown = e.Vector.Take(ShownComponents).Select(x => x.ToString("F4", CultureInfo.InvariantCulture));
        var norm = MathF.Sqrt(Embedding.Dot(e.Vector.AsSpan(), e.Vector.AsSpan()));
        return $"[{string.Join(", ", shown)}{(e.Dimension > ShownComponents ? ", …" : "")}] ({e.Dimension} dims) norm {norm.ToString("F6", CultureInfo.InvariantCulture)}" +
               (e.Truncated ? " (truncated)" : "");
    }

    /// <summary>Every pair's cosine similarity.</summary>
    public static float[][] Similarities(IReadOnlyList<Embedding> embeddings) =>
        embeddings.Select(a => embeddings.Select(a.Similarity).ToArray()).ToArray();

    /// <summary>The cosine matrix as text, rows and columns numbered as the inputs.</summary>
    public static void WriteMatrix(TextWriter output, IReadOnlyList<Embedding> embeddings)
    {
        var matrix = Similarities(embeddings);
        output.WriteLine("cosine similarity:");
        output.WriteLine("     " + string.Concat(Enumerable.Range(1, matrix.Length).Select(j => $"{"[" + j + "]",9}")));
        for (var i = 0; i < matrix.Length; i++)
        {
            output.WriteLine($"{"[" + (i + 1) + "]",-5}" + string.Concat(matrix[i].Select(x => $"{x.ToString("F4", CultureInfo.InvariantCulture),9}")));
        }
    }
}
