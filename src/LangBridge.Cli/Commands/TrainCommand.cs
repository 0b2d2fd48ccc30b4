using System.CommandLine;
using System.Text.Json;
using LangBridge.Training;
using LangBridge.Training.Kinds;
using LangBridge.Training.Pipeline;
using LangBridge.Training.Progress;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge train`: trains a recipe of any kind with progress, checkpoints and resume.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var recipeOption = CommonOptions.Recipe();
        var dataRoot = CommonOptions.DataRoot();
        var threads = CommonOptions.Threads();
        var resume = new Option<bool>("--resume") { Description = "Continue from the recipe's last checkpoint (artifacts/checkpoints/<name>/last.lbck)." };
        var command = new Command("train",
            "Train a model from its recipe: seeded and reproducible, progress with loss terms, examples/s and ETA, " +
            "atomic checkpoints every recipe.training.checkpointEvery steps.");
        command.Options.Add(recipeOption);
        command.Options.Add(dataRoot);
        command.Options.Add(resume);
        command.Options.Add(threads);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var recipe = RecipeModel.LoadRecipe(parse.GetValue(recipeOption)!);
            var run = CliPaths.Run(recipe);
            var result = Train(recipe, parse.GetValue(dataRoot), run, parse.GetValue(resume), parse.GetValue(threads), ct);
            AnsiConsole.MarkupLine($"Trained [green]{recipe.Name}[/] ({recipe.Kind}): {result.StepsCompleted} steps in {result.Seconds:F0} s " +
                                   $"({result.ImagesPerSecond:F0} examples/s). Checkpoint: {Markup.Escape(run.Checkpoint)}");
            return 0;
        }));
        return command;
    }

    /// <summary>Trains <paramref name="recipe"/> into <paramref name="run"/>; <paramref name="threads"/> &gt; 0 overrides the recipe's.</summary>
    internal static TrainingResult Train(IModelRecipe recipe, string? dataRoot, RunLayout run, bool resume, int threads, CancellationToken ct)
    {
        ApplyThreads(threads, recipe);
        manual_seed(recipe.Seed);
        using var model = RecipeModel.Create(recipe, dataRoot);
        var plan = model.Model.TrainingPlan;
        using var task = model.Model.CreateTrainingTask(model.Context);
        AnsiConsole.MarkupLine($"Training [green]{recipe.Name}[/] ({recipe.Kind}): {StepsText(plan)} of {plan.BatchSize}, {get_num_threads()} threads.");
        var trainer = new Trainer(plan, recipe.Seed, model.Model.Module, task, model.Model.Identity);
        var result = trainer.Train(new TrainerOptions(run.Checkpoint, run.TrainLog, resume), new Progress(), ct);
        Directory.CreateDirectory(run.CheckpointDir);
        File.WriteAllText(run.TrainSummary, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        return result;
    }

    /// <summary>The command line's thread count wins over the recipe's; 0 in both leaves TorchSharp's default (all cores).</summary>
    internal static void ApplyThreads(int threads, IModelRecipe? recipe = null)
    {
        var n = recipe?.Training.ResolveThreads(threads) ?? threads;
        if (n > 0) set_num_threads(n);
    }

    private static string StepsText(TrainingPlan plan) => string.Join(" then ", plan.Phases.Select(p => $"{p.Steps} {p.Name} steps"));

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
            AnsiConsole.MarkupLine($"step {p.Step,6}/{p.TotalSteps}  {losses}  {p.ImagesPerSecond,6:F0} ex/s  ETA {p.Eta:hh\\:mm\\:ss}");
        }
    }
}
