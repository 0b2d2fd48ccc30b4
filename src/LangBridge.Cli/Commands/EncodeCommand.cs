using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LangBridge.Data;
using LangBridge.Imaging;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge encode &lt;bundle&gt; &lt;image…&gt;`: each image's words (and token ids with --ids) through the lean
/// runtime (<see cref="ImageTokenizer"/>) and <see cref="ImagePreprocessor"/>, exactly as an application would.
/// Results go to standard output; an image that cannot be read is reported on standard error (one line
/// naming it and the problem) and the others are still encoded; the exit code is then 1. With --features (bundles
/// with a frozen BERT) each line ends with the BERT's pooled sentence feature, and --features-json writes the
/// pooled features and the last hidden states of every image to a JSON file.
/// </summary>
internal static class EncodeCommand
{
    /// <summary>Images per ONNX Runtime call.</summary>
    private const int BatchSize = 64;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var session = new BundleSessionOptions();
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG files.", Arity = ArgumentArity.OneOrMore };
        var ids = new Option<bool>("--ids") { Description = "Also print the token ids: '<image>: <ids> | <words>'." };
        var features = new Option<bool>("--features")
        {
            Description = "Also print the BERT's pooled sentence feature (mean of its last hidden states): '<image>: <words> | <features>'. Bundles with a bert graph only.",
        };
        var featuresJson = new Option<string?>("--features-json")
        {
            Description = "With --features: also write each image's ids, words, pooled features and last hidden states (N×D) to this JSON file.",
        };
        var command = new Command("encode",
            "Turn images into words of the bundle's vocabulary with the runtime library (ONNX Runtime): one line per image, " +
            "'<image>: <words>'. Images are brought to the bundle's size and channels as in training. " +
            "Unreadable images are reported on standard error and skipped; the exit code is then 1.");
        command.Arguments.Add(images);
        command.Options.Add(ids);
        command.Options.Add(features);
        command.Options.Add(featuresJson);
        session.AddTo(command);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            using var tokenizer = session.Open(parse);
            var preprocessor = new ImagePreprocessor(tokenizer.Image);
            var paths = parse.GetValue(images)!;
            var withIds = parse.GetValue(ids);
            var jsonPath = parse.GetValue(featuresJson);
            var withFeatures = parse.GetValue(features) || jsonPath is not null;
            if (withFeatures && !tokenizer.HasBertFeatures)
            {
                throw new UsageException(
                    $"--features needs a bundle with a frozen BERT (a \"bert\" graph); bundle '{tokenizer.Bundle.Manifest.Name}' has [{string.Join(", ", tokenizer.Bundle.Manifest.Graphs.Keys)}].");
            }

            var records = new List<EncodedImageRecord>();
            var failed = 0;
            foreach (var chunk in paths.Chunk(BatchSize))
            {
                ct.ThrowIfCancellationRequested();
                var readable = new List<(string Path, PixelImage Pixels)>(chunk.Length);
                foreach (var path in chunk)
                {
                    try
                    {
                        readable.Add((path, preprocessor.Load(path)));
                    }
                    catch (ImageDecodeException e)
                    {
                        // One bad file must not cost the user the results of the good ones.
                        Console.Error.WriteLine($"error: {path}: {CommandErrors.OneLine(e.Problem)}");
                        failed++;
                    }
                }

                if (readable.Count == 0) continue;
                var pixels = readable.Select(r => r.Pixels).ToArray();
                var tokens = withFeatures ? tokenizer.EncodeWithFeatures(pixels) : tokenizer.Encode(pixels);
                for (var i = 0; i < readable.Count; i++)
                {
                    var line = withIds
                        ? $"{readable[i].Path}: {string.Join(' ', tokens[i].TokenIds)} | {tokens[i].Text}"
                        : $"{readable[i].Path}: {tokens[i].Text}";
                    if (tokens[i].Features is { } f)
                    {
                        line += " | " + string.Join(' ', f.Pooled.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
                        records.Add(new EncodedImageRecord(readable[i].Path, [.. tokens[i].TokenIds], [.. tokens[i].Words], [.. f.Pooled],
                            Enumerable.Range(0, f.Positions).Select(n => f.HiddenStates.AsSpan(n * f.HiddenSize, f.HiddenSize).ToArray()).ToArray()));
                    }

                    Console.Out.WriteLine(line);
                }
            }

            if (jsonPath is not null)
            {
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(records, Json));
            }

            if (failed == 0) return 0;
            Console.Error.WriteLine($"error: {failed} of {paths.Length} images could not be read; the other {paths.Length - failed} were encoded.");
            return CommandErrors.UserError;
        }));
        return command;
    }
}
