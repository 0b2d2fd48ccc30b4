using System.CommandLine;
using System.Text.Json;
using LangBridge.Data;
using LangBridge.Training.Lqae;
using LangBridge.Training.Recipes;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge bench lqae-step`: where a training step of an LQAE-with-BERT recipe spends its time (encoder,
/// nearest-word search, BERT forward and backward, decoder, masked-token loss, optimiser), measured on a few
/// steps of the real model and data. Overrides let one recipe be measured at several grids, BERT depths and
/// codebook sizes in one sitting. Writes artifacts/bench/lqae-step.json.
/// </summary>
internal static class BenchLqaeStepCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var recipeOption = new Option<string>("--recipe") { Description = "An LQAE recipe with a bert section.", DefaultValueFactory = _ => "models/lqae-bert.json" };
        var dataRoot = CommonOptions.DataRoot();
        var threads = CommonOptions.Threads();
        var steps = new Option<int>("--steps") { Description = "Timed steps (median per part).", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first (optimiser state, allocator).", DefaultValueFactory = _ => 3 };
        var trainLimit = new Option<int>("--train-limit") { Description = "Training images loaded (batches are drawn from them).", DefaultValueFactory = _ => 512 };
        var layers = new Option<int?>("--layers") { Description = "Override bert.layers (0 = all)." };
        var codebookSize = new Option<int?>("--codebook-size") { Description = "Override codebook.size." };
        var vocabulary = new Option<BertVocabulary?>("--vocabulary") { Description = "Override bert.vocabulary (words or all)." };
        var downsample = new Option<int?>("--downsample") { Description = "Override encoder.downsample (28 / downsample = grid side)." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Override training.batchSize." };
        var output = new Option<string?>("--output", "-o") { Description = "Folder for the result (default: artifacts/bench)." };
        var command = new Command("lqae-step",
            "Time one training step of an LQAE-with-BERT recipe part by part (encoder, search, BERT forward/backward, decoder, " +
            "masked-token loss, optimiser) on a few steps of the real model. Writes artifacts/bench/lqae-step.json.");
        foreach (var o in new Option[] { recipeOption, dataRoot, threads, steps, warmup, trainLimit, layers, codebookSize, vocabulary, downsample, batchSize, output })
            command.Options.Add(o);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            if (RecipeModel.LoadRecipe(parse.GetValue(recipeOption)!) is not LqaeRecipe { Bert: not null } original)
                throw new UsageException($"{parse.GetValue(recipeOption)} is not an LQAE recipe with a bert section");
            var recipe = original with
            {
                Bert = original.Bert with
                {
                    Layers = parse.GetValue(layers) ?? original.Bert.Layers,
                    Vocabulary = parse.GetValue(vocabulary) ?? original.Bert.Vocabulary,
                },
                Codebook = original.Codebook with { Size = parse.GetValue(codebookSize) ?? original.Codebook.Size },
                Encoder = original.Encoder with { Downsample = parse.GetValue(downsample) ?? original.Encoder.Downsample },
                Training = original.Training with { BatchSize = parse.GetValue(batchSize) ?? original.Training.BatchSize },
            };
            recipe.Validate(parse.GetValue(recipeOption)!);
            TrainCommand.ApplyThreads(parse.GetValue(threads), recipe);
            manual_seed(recipe.Seed);
            using var model = RecipeModel.Create(recipe, parse.GetValue(dataRoot));
            var lqae = (LqaeKindModel)model.Model;
            var train = RecipeData.LoadImages(recipe, model.Context.RequireData("bench lqae-step"), DataSplit.Train);
            train = train.Slice(0, Math.Min(parse.GetValue(trainLimit), train.Count));
            AnsiConsole.MarkupLine($"[green]{Markup.Escape(recipe.Name)}[/]: {recipe.TokensPerImage} tokens per image, codebook {lqae.Codebook.Count:N0} × {lqae.Codebook.Dimension}, " +
                                   $"{lqae.Model.Bert!.Body.Layers} BERT layers, batch {recipe.Training.BatchSize}, {get_num_threads()} threads");
            var profile = new LqaeStepProfiler(lqae.Model, train).Run(parse.GetValue(steps), parse.GetValue(warmup), line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));

            var table = new Table().AddColumns("part", "ms / step", "share");
            foreach (var (part, ms) in profile.Parts) table.AddRow(part, $"{ms:F1}", $"{ms / profile.StepMilliseconds:P0}");
            table.AddRow("[bold]step (median)[/]", $"{profile.StepMilliseconds:F1}", $"{profile.ImagesPerSecond:F1} img/s");
            AnsiConsole.Write(table);
            var dir = parse.GetValue(output) ?? Path.Combine(CliPaths.ArtifactsRoot, "bench");
            Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, "lqae-step.json");
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new
            {
                profile,
                grid = recipe.GridSize,
                recipe.Bert.Vocabulary,
                train_images = train.Count,
                load_average = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
            }, Json));
            AnsiConsole.MarkupLine($"Written: {Markup.Escape(path)}");
            return 0;
        }));
        return command;
    }
}
