using System.CommandLine;
using System.Text.Json;
using LangBridge.Data;
using LangBridge.Training;
using LangBridge.Training.Lqae;
using LangBridge.Training.Progress;
using LangBridge.Training.Recipes;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge train`: trains a recipe with progress, checkpoints and resume.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var recipeOption = CommonOptions.Recipe();
        var dataRoot = CommonOptions.DataRoot();
        var threads = CommonOptions.Threads();
        var resume = new Option<bool>("--resume") { Description = "Continue from the recipe's last checkpoint (artifacts/checkpoints/<name>/last.lbck)." };
        var command = new Command("train",
            "Train a model from its recipe: seeded and reproducible, progress with loss terms, images/s and ETA, " +
            "atomic checkpoints every recipe.training.checkpointEvery steps.");
        command.Options.Add(recipeOption);
        command.Options.Add(dataRoot);
        command.Options.Add(resume);
        command.Options.Add(threads);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var recipe = LqaeRecipe.Load(CliPaths.Recipe(parse.GetValue(recipeOption)!));
            var layout = DataLayout.Resolve(parse.GetValue(dataRoot));
            var run = CliPaths.Run(recipe);
            var result = Train(recipe, layout, run, parse.GetValue(resume), parse.GetValue(threads), ct);
            AnsiConsole.MarkupLine($"Trained [green]{recipe.Name}[/]: {result.StepsCompleted} steps in {result.Seconds:F0} s " +
                                   $"({result.ImagesPerSecond:F0} img/s). Checkpoint: {Markup.Escape(run.Checkpoint)}");
            return 0;
        }));
        return command;
    }

    internal static TrainingResult Train(LqaeRecipe recipe, DataLayout layout, RunLayout run, bool resume, int threads, CancellationToken ct)
    {
        if (threads > 0) set_num_threads(threads);
        var train = RecipeData.LoadImages(recipe, layout, DataSplit.Train);
        if (recipe.Data.TrainLimit > 0 && recipe.Data.TrainLimit < train.Count) train = train.Slice(0, recipe.Data.TrainLimit);
        var codebook = RecipeData.LoadCodebook(recipe, CliPaths.RepositoryRoot);
        AnsiConsole.MarkupLine($"Training [green]{recipe.Name}[/] on {train.Count:N0} images, codebook {codebook.Count:N0} × {codebook.Dimension}, " +
                               $"{recipe.TokensPerImage} tokens per image, {StepsText(recipe.Training)} of {recipe.Training.BatchSize}.");
        manual_seed(recipe.Seed);
        using var codebookTensor = tensor(codebook.Vectors).view(codebook.Count, codebook.Dimension);
        using var model = new LqaeModel(recipe, codebookTensor);
        var trainer = new LqaeTrainer(recipe, model, train);
        var result = trainer.Train(new TrainerOptions(run.Checkpoint, run.TrainLog, resume), new Progress(), ct);
        Directory.CreateDirectory(run.CheckpointDir);
        File.WriteAllText(run.TrainSummary, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        return result;
    }

    private static string StepsText(TrainingSection t) =>
        t.DecoderSteps > 0 ? $"{t.Steps} steps then {t.DecoderSteps} decoder-only steps" : $"{t.Steps} steps";

    /// <summary>Plain progress lines: readable in a terminal and in CI logs alike.</summary>
    private sealed class Progress : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            if (p.Message is not null)
            {
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape(p.Message)}[/]");
                return;
            }
            var losses = string.Join("  ", p.Losses.Select(kv => $"{kv.Key} {kv.Value:F4}"));
            AnsiConsole.MarkupLine($"step {p.Step,6}/{p.TotalSteps}  {losses}  {p.ImagesPerSecond,6:F0} img/s  ETA {p.Eta:hh\\:mm\\:ss}");
        }
    }
}
