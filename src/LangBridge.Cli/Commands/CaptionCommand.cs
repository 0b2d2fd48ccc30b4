using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LangBridge.Imaging;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge caption &lt;bundle&gt; &lt;image…&gt;`: captions with a LiMBeR bundle through the runtime's <see cref="Captioner"/>,
/// greedy by default or sampled (--temperature, --top-p, --seed), one line per image: '&lt;image&gt;: &lt;prompt&gt; &lt;caption&gt;'.
/// With --stream the caption is printed as it is generated. An image that cannot be read is reported on standard
/// error and the others are still captioned; the exit code is then 1.
/// </summary>
internal static class CaptionCommand
{
    public static Command Create()
    {
        var session = new BundleSessionOptions();
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG files.", Arity = ArgumentArity.OneOrMore };
        var temperature = new Option<float>("--temperature") { Description = "0: greedy (default); otherwise the sampling temperature (LiMBeR: 0.7).", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling: sample among the most probable tokens whose probability reaches this (LiMBeR: 0.9).", DefaultValueFactory = _ => 0.9f };
        var seed = new Option<int>("--seed") { Description = "Seed of the sampler (the same seed gives the same caption).", DefaultValueFactory = _ => 0 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most new tokens per caption.", DefaultValueFactory = _ => 24 };
        var stream = new Option<bool>("--stream") { Description = "Print each caption as its tokens come." };
        var json = new Option<bool>("--json") { Description = "Machine output: every image's caption, token ids and whether it ended with end of text, as JSON." };
        var command = new Command("caption",
            "Caption images with a LiMBeR bundle (runtime library): the image's soft tokens and the prompt are continued by the bundle's frozen LM " +
            "through its key/value cache. One line per image, '<image>: <prompt> <caption>'. Unreadable images are reported on standard error and skipped; the exit code is then 1.");
        command.Arguments.Add(images);
        foreach (var o in new Option[] { temperature, topP, seed, maxTokens, stream, json }) command.Options.Add(o);
        session.AddTo(command);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var sampling = new SamplingOptions { Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed), MaxTokens = parse.GetValue(maxTokens) };
            try
            {
                sampling.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new UsageException($"--{e.ParamName switch { "TopP" => "top-p", "MaxTokens" => "max-tokens", _ => "temperature" }}: {e.Message.Split(" (Parameter")[0]}");
            }
            using var captioner = Captioner.Open(session.Folder(parse), session.RuntimeOptions(parse));
            Console.Error.WriteLine($"bundle {captioner.Bundle.Manifest.Name}: encoder {captioner.Settings.Encoder}, prompt \"{captioner.Settings.Prompt}\", " +
                                    (sampling.Temperature == 0 ? "greedy" : $"temperature {sampling.Temperature.ToString(CultureInfo.InvariantCulture)}, top-p {sampling.TopP.ToString(CultureInfo.InvariantCulture)}, seed {sampling.Seed}") +
                                    $"; provider {captioner.ExecutionProvider.Provider}");
            var preprocessor = new ImagePreprocessor(captioner.Image);
            var paths = parse.GetValue(images)!;
            var results = new List<object>();
            var failed = 0;
            foreach (var path in paths)
            {
                ct.ThrowIfCancellationRequested();
                var pixels = ImageArguments.TryLoad(preprocessor, path);
                if (pixels is null) { failed++; continue; }
                var streaming = parse.GetValue(stream) && !parse.GetValue(json);
                if (streaming) Console.Out.Write($"{path}: {captioner.Settings.Prompt}");
                var caption = captioner.Describe(pixels, sampling, streaming ? piece => { Console.Out.Write(piece); Console.Out.Flush(); } : null, ct);
                if (parse.GetValue(json)) results.Add(new { Image = path, captioner.Settings.Prompt, Caption = caption.Text, TokenIds = caption.TokenIds, caption.EndedWithEndOfText });
                else if (streaming) Console.Out.WriteLine();
                else Console.Out.WriteLine($"{path}: {captioner.Settings.Prompt}{caption.Text}");
            }
            if (parse.GetValue(json)) Console.Out.WriteLine(JsonSerializer.Serialize(new { Bundle = captioner.Bundle.Manifest.Name, Images = results }, EmbeddingOutput.Json));
            if (failed == 0) return 0;
            Console.Error.WriteLine($"error: {failed} of {paths.Length} images could not be read; the other {paths.Length - failed} were captioned.");
            return CommandErrors.UserError;
        }));
        return command;
    }
}
