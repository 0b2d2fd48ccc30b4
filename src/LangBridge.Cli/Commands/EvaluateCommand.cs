using System.CommandLine;
using System.Text.Json;
using LangBridge.Data;
using LangBridge.Training.Pipeline;
using Spectre.Console;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge evaluate`: the kind's held-out metrics and report pictures.</summary>
internal static class EvaluateCommand
{
    public const string MetricsFile = "metrics.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var recipeOption = CommonOptions.Recipe();
        var dataRoot = CommonOptions.DataRoot();
        var threads = CommonOptions.Threads();
        var command = new Command("evaluate",
            "Evaluate a trained model on held-out data with its kind's metrics (LQAE: PSNR, codebook usage and perplexity, bag-of-tokens " +
            "linear probe, 5-way 1-/5-shot accuracy by token overlap and the pixel baseline). Writes artifacts/reports/<name>/metrics.json " +
            "and the kind's pictures (LQAE: reconstructions.png, fewshot-prompt.txt).");
        command.Options.Add(recipeOption);
        command.Options.Add(dataRoot);
        command.Options.Add(threads);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var recipe = RecipeModel.LoadRecipe(parse.GetValue(recipeOption)!);
            TrainCommand.ApplyThreads(parse.GetValue(threads), recipe);
            using var trained = RecipeModel.Load(parse.GetValue(recipeOption)!, dataRoot: parse.GetValue(dataRoot));
            var dir = trained.Run.ReportDir;
            TrainingResult? training = File.Exists(trained.Run.TrainSummary)
                ? JsonSerializer.Deserialize<TrainingResult>(File.ReadAllText(trained.Run.TrainSummary))
                : null;
            var report = trained.Model.Evaluate(trained.Context, dir, training)
                ?? throw new CheckFailedException($"model kind '{trained.Recipe.Kind}' has no evaluation");
            var metrics = JsonSerializer.SerializeToElement(report.Metrics, report.Metrics.GetType(), Json);
            AtomicFile.WriteAllText(Path.Combine(dir, MetricsFile), JsonSerializer.Serialize(metrics, Json));
            var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
            foreach (var p in metrics.EnumerateObject()) table.AddRow(p.Name, Markup.Escape(p.Value.ToString()));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Report: {Markup.Escape(dir)}");
            return 0;
        }));
        return command;
    }
}
