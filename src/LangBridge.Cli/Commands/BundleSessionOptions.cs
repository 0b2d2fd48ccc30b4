using System.CommandLine;
using LangBridge.Runtime;

namespace LangBridge.Cli.Commands;

/// <summary>
/// The bundle argument and ONNX Runtime options of the commands that run a bundle (encode, decode, embed, embed-text, classify),
/// and the one place that opens it from them. Built fresh for each command.
/// </summary>
internal sealed class BundleSessionOptions
{
    private readonly Argument<string> bundle = new("bundle") { Description = "Bundle folder (the one holding manifest.json), e.g. artifacts/bundles/lqae-fashion." };

    private readonly Option<ExecutionProvider> provider = new("--provider")
    {
        Description = "Execution provider: auto (TensorRT, then CUDA, then CPU, as the native library offers), cpu, cuda or tensorrt.",
        DefaultValueFactory = _ => ExecutionProvider.Auto,
    };

    private readonly Option<int> device = new("--device")
    {
        Description = "CUDA device id (cuda, tensorrt).",
        DefaultValueFactory = _ => 0,
    };

    private readonly Option<int> threads = new("--threads")
    {
        Description = "Intra-op CPU threads for ONNX Runtime (0 = its own choice).",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>Adds the bundle argument (first) and the runtime options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Arguments.Insert(0, bundle);
        command.Options.Add(provider);
        command.Options.Add(device);
        command.Options.Add(threads);
    }

    /// <summary>The bundle folder given.</summary>
    public string Folder(ParseResult parse) => parse.GetValue(bundle)!;

    /// <summary>The ONNX Runtime options given.</summary>
    public RuntimeOptions RuntimeOptions(ParseResult parse) => new()
    {
        Provider = parse.GetValue(provider),
        CudaDeviceId = parse.GetValue(device),
        IntraOpThreads = parse.GetValue(threads),
    };

    /// <summary>Opens the bundle (every file's SHA-256 is checked) and reports the chosen provider on stderr.</summary>
    public ImageTokenizer Open(ParseResult parse)
    {
        var tokenizer = ImageTokenizer.Open(Folder(parse), RuntimeOptions(parse));
        var choice = tokenizer.ExecutionProvider;
        Console.Error.WriteLine($"bundle {tokenizer.Bundle.Manifest.Name}: {tokenizer.Image.Width}×{tokenizer.Image.Height}×{tokenizer.Image.Channels}, " +
                                $"{tokenizer.Tokens.PerImage} tokens per image, {tokenizer.Vocabulary.Count:N0} words; provider {choice.Provider} ({choice.Reason})");
        return tokenizer;
    }
}
