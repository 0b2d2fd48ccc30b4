using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LangBridge.Imaging;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge classify &lt;bundle&gt; &lt;image…&gt; --labels "a, b, c"`: zero-shot classification with a CLIPPO bundle
/// through the runtime's <see cref="ZeroShotClassifier"/> (each label's held-out prompts averaged), one line per
/// image with the labels ranked and their softmax scores. An image that cannot be read is reported on standard
/// error and the others are still classified; the exit code is then 1.
/// </summary>
internal static class ClassifyCommand
{
    /// <summary>Images per ONNX Runtime call.</summary>
    private const int BatchSize = 64;

    public static Command Create()
    {
        var session = new BundleSessionOptions();
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG files.", Arity = ArgumentArity.OneOrMore };
        var labels = new Option<string>("--labels") { Description = "The candidate labels, comma-separated: \"sandal, sneaker, ankle boot\".", Required = true };
        var top = new Option<int>("--top") { Description = "Labels printed per image (0 = all).", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Machine output: every image's ranked labels with similarity and score, as JSON." };
        var command = new Command("classify",
            $"Zero-shot classification with a CLIPPO bundle (runtime library): each label's prompts ({string.Join(", ", ZeroShotPrompts.Templates.Select(t => $"'{t}'"))}) " +
            "are embedded and averaged, and every image is scored against them: one line per image, '<image>: <label> <score>, …', best first " +
            "(scores: softmax of the scaled cosine similarities). Unreadable images are reported on standard error and skipped; the exit code is then 1.");
        command.Arguments.Add(images);
        command.Options.Add(labels);
        command.Options.Add(top);
        command.Options.Add(json);
        session.AddTo(command);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var names = parse.GetValue(labels)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Length < 2) throw new UsageException($"--labels \"{parse.GetValue(labels)}\": give at least two labels, comma-separated.");
            var shown = parse.GetValue(top);
            if (shown < 0) throw new UsageException($"--top {shown}: must be 0 (all) or positive.");
            var bundle = ModelBundle.Load(session.Folder(parse));
            var options = session.RuntimeOptions(parse);
            using var imageEmbedder = ImageEmbedder.Create(bundle, options);
            using var textEmbedder = TextEmbedder.Create(bundle, options);
            var classifier = new ZeroShotClassifier(textEmbedder, names);
            Console.Error.WriteLine($"bundle {bundle.Manifest.Name}: {names.Length} labels, temperature {classifier.Temperature.ToString(CultureInfo.InvariantCulture)}; " +
                                    $"provider {imageEmbedder.ExecutionProvider.Provider} ({imageEmbedder.ExecutionProvider.Reason})");
            var preprocessor = new ImagePreprocessor(imageEmbedder.Image);
            var paths = parse.GetValue(images)!;
            var results = new List<object>();
            var failed = 0;
            foreach (var chunk in paths.Chunk(BatchSize))
            {
                ct.ThrowIfCancellationRequested();
                var readable = chunk.Select(p => (Path: p, Pixels: ImageArguments.TryLoad(preprocessor, p))).Where(r => r.Pixels is not null).ToArray();
                failed += chunk.Length - readable.Length;
                if (readable.Length == 0) continue;
                var ranked = classifier.Classify(imageEmbedder.Embed(readable.Select(r => r.Pixels!).ToArray()));
                for (var i = 0; i < readable.Length; i++)
                {
                    var scores = shown == 0 ? ranked[i] : ranked[i].Take(shown).ToArray();
                    if (parse.GetValue(json))
                    {
                        results.Add(new { Image = readable[i].Path, Labels = scores.Select(s => new { s.Label, s.Similarity, Score = s.Probability }) });
                    }
                    else
                    {
                        Console.Out.WriteLine($"{readable[i].Path}: " +
                                              string.Join(", ", scores.Select(s => $"{s.Label} {s.Probability.ToString("F3", CultureInfo.InvariantCulture)}")));
                    }
                }
            }

            if (parse.GetValue(json)) Console.Out.WriteLine(JsonSerializer.Serialize(new { Bundle = bundle.Manifest.Name, Images = results }, EmbeddingOutput.Json));
            if (failed == 0) return 0;
            Console.Error.WriteLine($"error: {failed} of {paths.Length} images could not be read; the other {paths.Length - failed} were classified.");
            return CommandErrors.UserError;
        }));
        return command;
    }
}
