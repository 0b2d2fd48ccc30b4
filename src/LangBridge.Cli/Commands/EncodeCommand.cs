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
        var bundle = new Argument<string>("bundle") { Description = "Bundle folder (the one holding manifest.json), e.g. artifacts/bundles/lqae-fashion." };
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG files.", Arity = ArgumentArity.OneOrMore };
        var ids = new Option<bool>("--ids") { Description = "Also print the token ids: '<image>: <ids> | <words>'." };
        var provider = Provider();
        var device = Device();
        var threads = Threads();
        var command = new Command("encode",
            "Turn images into words of the bundle's vocabulary with the runtime library (ONNX Runtime): one line per image, " +
            "'<image>: <words>'. Images are brought to the bundle's size and channels as in training.");
        command.Arguments.Add(bundle);
        command.Arguments.Add(images);
        command.Options.Add(ids);
        command.Options.Add(provider);
        command.Options.Add(device);
        command.Options.Add(threads);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            using var tokenizer = Open(parse.GetValue(bundle)!, parse.GetValue(provider), parse.GetValue(device), parse.GetValue(threads));
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

    internal static Option<ExecutionProvider> Provider() => new("--provider")
    {
        Description = "Execution provider: auto (TensorRT, then CUDA, then CPU, as the native library offers), cpu, cuda or tensorrt.",
        DefaultValueFactory = _ => ExecutionProvider.Auto,
    };

    internal static Option<int> Device() => new("--device")
    {
        Description = "CUDA device id (cuda, tensorrt).",
        DefaultValueFactory = _ => 0,
    };

    internal static Option<int> Threads() => new("--threads")
    {
        Description = "Intra-op CPU threads for ONNX Runtime (0 = its own choice).",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>Opens the bundle (every file's SHA-256 is checked) and reports the chosen provider on stderr.</summary>
    internal static ImageTokenizer Open(string bundle, ExecutionProvider provider, int device, int threads)
    {
        var tokenizer = ImageTokenizer.Open(bundle, new RuntimeOptions
        {
            Provider = provider,
            CudaDeviceId = device,
            IntraOpThreads = threads,
        });
        var choice = tokenizer.ExecutionProvider;
        Console.Error.WriteLine($"bundle {tokenizer.Bundle.Manifest.Name}: {tokenizer.Image.Width}×{tokenizer.Image.Height}×{tokenizer.Image.Channels}, " +
                                $"{tokenizer.Tokens.PerImage} tokens per image, {tokenizer.Vocabulary.Count:N0} words; provider {choice.Provider} ({choice.Reason})");
        return tokenizer;
    }
}
