using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LangBridge.Imaging;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge words &lt;bundle&gt; &lt;image…&gt;`: the nearest words of each image in the frozen LM's word-embedding space
/// with a VLAP bundle (<see cref="ImageToWords"/>), one line per image: '&lt;image&gt;: word (score) word (score) …'.
/// An image that cannot be read is reported on standard error and the others are still ranked; the exit code is then 1.
/// </summary>
internal static class WordsCommand
{
    public static Command Create()
    {
        var session = new BundleSessionOptions();
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG files.", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top", "-k") { Description = "Words per image.", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Machine output: every image's words with their token ids and cosine scores, as JSON." };
        var command = new Command("words",
            "The nearest words of images in the frozen LM's word-embedding space, with a VLAP bundle: the bridge's mean soft token against " +
            "every unit word embedding (cosine), best first.");
        command.Arguments.Add(images);
        command.Options.Add(top);
        command.Options.Add(json);
        session.AddTo(command);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            int k = parse.GetValue(top);
            if (k < 1) throw new UsageException($"--top must be at least 1, got {k}");
            using var ranker = ImageToWords.Open(session.Folder(parse), session.RuntimeOptions(parse));
            Console.Error.WriteLine($"bundle {ranker.Bundle.Manifest.Name}: {ranker.Tokenizer.Vocabulary.Count:N0} words; provider {ranker.ExecutionProvider.Provider}");
            var preprocessor = new ImagePreprocessor(ranker.Image);
            var paths = parse.GetValue(images)!;
            var results = new List<object>();
            var failed = 0;
            foreach (var path in paths)
            {
                ct.ThrowIfCancellationRequested();
                var pixels = ImageArguments.TryLoad(preprocessor, path);
                if (pixels is null) { failed++; continue; }
                var words = ranker.Words(pixels, k);
                if (parse.GetValue(json)) results.Add(new { Image = path, Words = words.Select(w => new { w.Word, w.TokenId, w.Score }) });
                else Console.Out.WriteLine($"{path}: {string.Join(" ", words.Select(w => $"{w.Word} ({w.Score.ToString("F3", CultureInfo.InvariantCulture)})"))}");
            }
            if (parse.GetValue(json)) Console.Out.WriteLine(JsonSerializer.Serialize(new { Bundle = ranker.Bundle.Manifest.Name, Images = results }, EmbeddingOutput.Json));
            if (failed == 0) return 0;
            Console.Error.WriteLine($"error: {failed} of {paths.Length} images could not be read; the other {paths.Length - failed} were ranked.");
            return CommandErrors.UserError;
        }));
        return command;
    }
}
