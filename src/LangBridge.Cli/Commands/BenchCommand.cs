using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using LangBridge.Data;
using LangBridge.Runtime;
using LangBridge.Training;
using LangBridge.Training.Clippo;
using LangBridge.Training.Lqae;
using LangBridge.Training.Limber;
using LangBridge.Training.Vlap;
using LangBridge.Training.Quantization;
using LangBridge.Training.Recipes;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge bench …`: speed measured as ratios against a peer in the same run (never absolute
/// goals in unit tests). Each timing is the median of several repeats after a warm-up of at least half a second.
/// A benchmark reports its ratios beside its goals and exits 0 whether or not a goal is met: this machine's
/// speed drifts by up to 2× between runs. It exits 1 only on a wrong result (ids that differ) or a
/// regression far beyond that drift (<see cref="RegressionFloor"/>).
/// </summary>
internal static class BenchCommand
{
    /// <summary>
    /// A ratio against its peer below this is a regression, not noise: the optimised side is slower than the one it
    /// replaces. Checked only on work large enough to time (<see cref="RegressionMinFlops"/>): on tiny shapes overheads dominate.
    /// </summary>
    public const double RegressionFloor = 1.0;

    /// <summary>Smallest search (in floating-point operations) whose ratio is held to <see cref="RegressionFloor"/>.</summary>
    public const double RegressionMinFlops = 1e9;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks written to artifacts/bench/*.json (or --output).");
        bench.Subcommands.Add(Quantizer());
        bench.Subcommands.Add(Runtime());
        bench.Subcommands.Add(BenchPretrainedCommand.Create());
        bench.Subcommands.Add(BenchLqaeStepCommand.Create());
        return bench;
    }

    private static Command Quantizer()
    {
        var vectors = new Option<int>("--vectors") { Description = "Latent vectors (128 images × 49 tokens).", DefaultValueFactory = _ => 6272 };
        var codes = new Option<int>("--codes") { Description = "Codebook rows.", DefaultValueFactory = _ => 32768 };
        var dim = new Option<int>("--dim") { Description = "Embedding dimension.", DefaultValueFactory = _ => 100 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats per measurement (median).", DefaultValueFactory = _ => 5 };
        var positions = new Option<int>("--positions") { Description = "Tokens per image for the positional-vocabulary search (must divide --vectors).", DefaultValueFactory = _ => 49 };
        var command = new Command("quantizer",
            "Nearest-word search: the fused tiled search against the naive full score matrix + argmax, and the machine's 2048² fp32 " +
            "matmul rate as the roof; also the positional-vocabulary search. Writes artifacts/bench/quantizer.json.");
        var output = Output();
        foreach (var o in new Option[] { vectors, codes, dim, repeats, positions, output }) command.Options.Add(o);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            int m = parse.GetValue(vectors), v = parse.GetValue(codes), d = parse.GetValue(dim), n = parse.GetValue(repeats), p = parse.GetValue(positions);
            if (p < 1 || m % p != 0 || v / p < 2)
                throw new UsageException($"--positions {p} must divide --vectors {m} and leave at least 2 of the {v} codes per position");
            using var scope = NewDisposeScope();
            var generator = new Generator(7);
            var z = nn.functional.normalize(randn(m, d, generator: generator), dim: 1);
            var codebook = nn.functional.normalize(randn(v, d, generator: generator), dim: 1);     // (V, D)
            var codesT = codebook.t().contiguous();                                                   // (D, V)
            var byPosition = NearestCodeSearch.CodesByPositionT(codebook, p);                          // (P, D, V/P)
            var sequences = z.view(m / p, p, d);                                                       // (B, P, D)
            var square = randn(2048, 2048, generator: generator);
            double searchFlops = 2.0 * m * v * d;
            var defaults = new QuantizerSection();

            var matmul = BenchTiming.Median(n, () => square.matmul(square));
            var naive = BenchTiming.Median(n, () => NearestCodeSearch.Naive(z, codesT));
            var fused = BenchTiming.Median(n, () => NearestCodeSearch.Tiled(z, codesT, defaults.VectorTile, defaults.CodeTile));
            bool identical = NearestCodeSearch.Naive(z, codesT).eq(NearestCodeSearch.Tiled(z, codesT, defaults.VectorTile, defaults.CodeTile)).all().item<bool>();
            var positional = BenchTiming.Median(n, () => NearestCodeSearch.Positional(sequences, byPosition));
            var sweep = new[] { (1024, 1024), (4096, 512), (8192, 512), (8192, 1024), (2048, 256) }
                .Select(t => new { vector_tile = t.Item1, code_tile = t.Item2, gflops = searchFlops / BenchTiming.Median(n, () => NearestCodeSearch.Tiled(z, codesT, t.Item1, t.Item2)) / 1e9 })
                .ToArray();

            double matmulGflops = 2.0 * 2048 * 2048 * 2048 / matmul / 1e9, naiveGflops = searchFlops / naive / 1e9, fusedGflops = searchFlops / fused / 1e9;
            var result = new
            {
                shape = new { vectors = m, codes = v, dim = d },
                threads = get_num_threads(),
                repeats = n,
                matmul_2048_gflops = matmulGflops,
                naive = new { milliseconds = naive * 1e3, gflops_equivalent = naiveGflops },
                fused = new { vector_tile = defaults.VectorTile, code_tile = defaults.CodeTile, milliseconds = fused * 1e3, gflops_equivalent = fusedGflops },
                fused_vs_naive = naive / fused,
                fused_vs_matmul_rate = fusedGflops / matmulGflops,
                ids_identical = identical,
                goals = new { fused_vs_naive_at_least = 3.0, fused_vs_matmul_rate_at_least = 0.5 },
                goals_met = naive / fused >= 3.0 && fusedGflops / matmulGflops >= 0.5 && identical,
                tile_sweep = sweep,
                // A positional vocabulary searches V/P codes per vector: less work, not a faster kernel.
                positional = new { positions = p, codes_per_position = v / p, milliseconds = positional * 1e3, vs_naive_full_search = naive / positional },
            };
            var path = Write(parse.GetValue(output), "quantizer.json", result);
            AnsiConsole.MarkupLine($"matmul {matmulGflops:F0} GFLOP/s; naive search {naiveGflops:F0}; fused {fusedGflops:F0} " +
                                   $"= {naive / fused:F1}× naive, {fusedGflops / matmulGflops:F2}× matmul; ids identical: {identical}");
            AnsiConsole.MarkupLine($"positional vocabulary ({p} positions, {v / p} words each): {positional * 1e3:F1} ms = {naive / positional:F0}× faster than the naive full search");
            AnsiConsole.MarkupLine($"Written: {Markup.Escape(path)}");
            if (!result.goals_met) AnsiConsole.MarkupLine("[yellow]goal not met in this run[/] (reported, not failed: see the ratios above)");
            return Verdict(identical ? null : "the fused search's ids differ from the naive search's",
                searchFlops >= RegressionMinFlops && naive / fused < RegressionFloor ? $"the fused search is slower than the naive one ({naive / fused:F2}×)" : null);
        }));
        return command;
    }

    private static Command Runtime()
    {
        var recipeOption = CommonOptions.Recipe();
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats per measurement (median; a batch-1 call takes about a millisecond, so many).", DefaultValueFactory = _ => 51 };
        var dataRoot = CommonOptions.DataRoot();
        var command = new Command("runtime",
            "Runtime Encode (ONNX Runtime, CPU) against the TorchSharp eager forward of the same weights, batch 1 and 64: images/s and " +
            "the ratio; for a CLIPPO bundle, the image and text embedders and the renderer's strings/s. Needs the recipe's checkpoint " +
            "and exported bundle. Writes artifacts/bench/runtime-<name>.json.");
        var output = Output();
        command.Options.Add(recipeOption);
        command.Options.Add(repeats);
        command.Options.Add(dataRoot);
        command.Options.Add(output);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            int n = parse.GetValue(repeats);
            using var trained = RecipeModel.Load(parse.GetValue(recipeOption)!, dataRoot: parse.GetValue(dataRoot));
            var fileName = $"runtime-{trained.Recipe.Name}.json";
            if (trained.Model is VlapKindModel vlap)
            {
                var problems = new List<string>();
                var result = BenchVlap.Run(vlap, trained.Run.BundleDir, n, problems);
                AnsiConsole.MarkupLine($"Written: {Markup.Escape(Write(parse.GetValue(output), "vlap.json", result))}");
                return Verdict([.. problems]);
            }
            if (trained.Model is LimberKindModel limber)
            {
                var problems = new List<string>();
                var captioning = BenchCaptioning.Run(limber, trained.Run.BundleDir, Math.Max(3, n / 10), problems);
                AnsiConsole.MarkupLine($"Written: {Markup.Escape(Write(parse.GetValue(output), "captioning.json", captioning))}");
                return Verdict([.. problems]);
            }
            if (trained.Model is ClippoKindModel { Renderer: { } renderer } clippo)
            {
                var problems = new List<string>();
                var clippoResult = BenchClippo.Run(clippo, renderer, trained.Run.BundleDir, trained.Context.RequireData("bench runtime"), n, problems);
                AnsiConsole.MarkupLine($"Written: {Markup.Escape(Write(parse.GetValue(output), fileName, clippoResult))}");
                return Verdict([.. problems]);
            }
            if (trained.Model is not LqaeKindModel lqae)
            {
                AnsiConsole.MarkupLine($"bench runtime measures image tokenizers (lqae) and pixels-only CLIPPO models; '{Markup.Escape(trained.Recipe.Name)}' is neither: skipped.");
                return 0;
            }
            using var tokenizer = ImageTokenizer.Open(trained.Run.BundleDir);
            var test = RecipeData.LoadImages(lqae.LqaeRecipe, trained.Context.RequireData("bench runtime"), DataSplit.Test).Slice(0, 64);
            var rows = new List<object>();
            var wrong = new List<string>();
            foreach (var batch in new[] { 1, 64 })
            {
                var slice = test.Slice(0, batch);
                using var images = ImageTensors.Normalised(slice, lqae.LqaeRecipe.Data);
                var floats = images.data<float>().ToArray();
                using (var ids = lqae.Model.Encode(images))
                    if (!ids.data<long>().ToArray().SequenceEqual(tokenizer.Encode(floats, batch, slice.Channels, slice.Height, slice.Width).SelectMany(t => t.TokenIds.ToArray())))
                        wrong.Add($"batch {batch}: the runtime's token ids differ from TorchSharp's");
                var torchSeconds = BenchTiming.Median(n, () => lqae.Model.Encode(images));
                var ortSeconds = BenchTiming.Median(n, () => tokenizer.Encode(floats, batch, slice.Channels, slice.Height, slice.Width));
                AnsiConsole.MarkupLine($"batch {batch,2}: TorchSharp {batch / torchSeconds,8:F0} img/s, runtime {batch / ortSeconds,8:F0} img/s, ratio {torchSeconds / ortSeconds:F2}×");
                // A BERT bundle is also timed with its features (ids + hidden states + pooled), the BERT's use case.
                var features = lqae.Model.Bert is { } bert && tokenizer.HasBertFeatures
                    ? BenchLqaeBert.Row(lqae, bert, tokenizer, images, floats, n, wrong)
                    : null;
                rows.Add(new
                {
                    batch,
                    torchsharp_images_per_second = batch / torchSeconds,
                    runtime_images_per_second = batch / ortSeconds,
                    runtime_vs_torchsharp = torchSeconds / ortSeconds,
                    with_bert_features = features,
                });
            }
            var path = Write(parse.GetValue(output), fileName, new
            {
                model = trained.Recipe.Name,
                ids_identical = wrong.Count == 0,
                execution_provider = tokenizer.ExecutionProvider.ToString(),
                threads = get_num_threads(),
                repeats = n,
                results = rows,
                goals = new { batch1_at_least = 2.0, batch64_at_least = 1.0 },
            });
            AnsiConsole.MarkupLine($"Written: {Markup.Escape(path)}");
            return Verdict([.. wrong]);
        }));
        return command;
    }

    /// <summary>Exit code of a benchmark: 1, with each problem on standard error, when a result was wrong or regressed.</summary>
    private static int Verdict(params string?[] problems)
    {
        foreach (var p in problems.OfType<string>()) Console.Error.WriteLine($"error: {p}");
        return problems.Any(p => p is not null) ? 1 : 0;
    }

    private static Option<string?> Output() => new("--output", "-o") { Description = "Folder for the result (default: artifacts/bench)." };

    private static string Write(string? folder, string name, object result)
    {
        var dir = folder ?? Path.Combine(CliPaths.ArtifactsRoot, "bench");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, Json));
        return path;
    }
}
