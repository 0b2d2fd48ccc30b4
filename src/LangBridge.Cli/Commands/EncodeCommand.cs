using System.CommandLine;
using LangBridge.Imaging;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge encode &lt;bundle&gt; &lt;image…&gt;`: each image's words (and token ids with --ids) through the lean
/// runtime (<see cref="ImageTokenizer"/>) and <see cref="ImagePreprocessor"/>, exactly as an application would.
/// </summary>
internal static class EncodeCommand
{
    /// <summary>Images per ONNX Runtime call.</summary>
    private const int BatchSize = 64;

    public static Command Create()
    {
        var session = new BundleSessionOptions();
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG files.", Arity = ArgumentArity.OneOrMore };
        var ids = new Option<bool>("--ids") { Description = "Also print the token ids: '<image>: <ids> | <words>'." };
        var command = new Command("encode",
            "Turn images into words of the bundle's vocabulary with the runtime library (ONNX Runtime): one line per image, " +
            "'<image>: <words>'. Images are brought to the bundle's size and channels as in training.");
        command.Arguments.Add(images);
        command.Options.Add(ids);
        session.AddTo(command);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            using var tokenizer = session.Open(parse);
            var preprocessor = new ImagePreprocessor(tokenizer.Image);
            var paths = parse.GetValue(images)!;
            var withIds = parse.GetValue(ids);
            foreach (var chunk in paths.Chunk(BatchSize))
            {
                ct.ThrowIfCancellationRequested();
                var pixels = chunk.Select(preprocessor.Load).ToArray();
                var tokens = tokenizer.Encode(pixels);
                for (var i = 0; i < chunk.Length; i++)
                {
                    Console.Out.WriteLine(withIds
                        ? $"{chunk[i]}: {string.Join(' ', tokens[i].TokenIds)} | {tokens[i].Text}"
                        : $"{chunk[i]}: {tokens[i].Text}");
                }
            }

            return 0;
        }));
        return command;
    }
}
