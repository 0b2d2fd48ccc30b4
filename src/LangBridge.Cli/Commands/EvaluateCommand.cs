using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using LangBridge.Data;
using LangBridge.Training;
using LangBridge.Training.Lqae;
using LangBridge.Training.Recipes;
using LangBridge.Training.Reports;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge evaluate`: held-out metrics, a reconstruction sheet and a few-shot prompt.</summary>
internal static class EvaluateCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var recipeOption = CommonOptions.Recipe();
        var dataRoot = CommonOptions.DataRoot();
        var threads = CommonOptions.Threads();
        var command = new Command("evaluate",
            "Evaluate a trained model on the test split: PSNR, codebook usage and perplexity, bag-of-tokens linear probe, " +
            "5-way 1-/5-shot accuracy by token overlap. Writes artifacts/reports/<name>/metrics.json, reconstructions.png and fewshot-prompt.txt.");
        command.Options.Add(recipeOption);
        command.Options.Add(dataRoot);
        command.Options.Add(threads);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            if (parse.GetValue(threads) is > 0 and var n) set_num_threads(n);
            using var trained = TrainedModel.Load(parse.GetValue(recipeOption)!);
            var metrics = Evaluate(trained, DataLayout.Resolve(parse.GetValue(dataRoot)));
            var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
            foreach (var (k, v) in JsonSerializer.SerializeToElement(metrics, Json).EnumerateObject().Select(p => (p.Name, p.Value)))
                table.AddRow(k, v.ToString());
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Report: {Markup.Escape(trained.Run.ReportDir)}");
            return 0;
        }));
        return command;
    }

    internal static LqaeMetrics Evaluate(TrainedModel trained, DataLayout layout)
    {
        var clock = Stopwatch.StartNew();
        var recipe = trained.Recipe;
        var test = RecipeData.LoadImages(recipe, layout, DataSplit.Test);
        if (recipe.Evaluation.TestLimit > 0 && recipe.Evaluation.TestLimit < test.Count) test = test.Slice(0, recipe.Evaluation.TestLimit);
        var train = RecipeData.LoadImages(recipe, layout, DataSplit.Train);
        int probeCount = recipe.Evaluation.ProbeTrainLimit > 0 ? Math.Min(recipe.Evaluation.ProbeTrainLimit, train.Count) : train.Count;
        var probeTrain = train.Slice(0, probeCount);

        void Log(string line) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]");
        Log($"encoding and reconstructing {test.Count} test images...");
        var encoded = LqaeEvaluator.Encode(trained.Model, test, reconstruct: true);
        TrainingResult? training = File.Exists(trained.Run.TrainSummary)
            ? JsonSerializer.Deserialize<TrainingResult>(File.ReadAllText(trained.Run.TrainSummary))
            : null;
        var metrics = LqaeEvaluator.Evaluate(trained.Model, test, probeTrain, encoded, training, clock.Elapsed.TotalSeconds, Log);

        var dir = trained.Run.ReportDir;
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "metrics.json"), JsonSerializer.Serialize(metrics, Json));
        WriteSheet(trained, test, encoded, Path.Combine(dir, "reconstructions.png"));
        AtomicFile.WriteAllText(Path.Combine(dir, "fewshot-prompt.txt"), Prompt(trained, test, encoded));
        return metrics;
    }

    private static string[] Words(TrainedModel trained, long[] ids) => ids.Select(id => trained.Codebook.Words[(int)id]).ToArray();

    /// <summary>Two test images per class: original, reconstruction and their most frequent words (<see cref="WordSummary"/>).</summary>
    private static void WriteSheet(TrainedModel trained, ImageDataset test, EncodedSet encoded, string path)
    {
        int size = test.ImageSize;
        var rows = Enumerable.Range(0, test.ClassNames.Count)
            .SelectMany(c => Enumerable.Range(0, test.Count).Where(i => test.Labels[i] == c).Take(2))
            .Select(i => new SheetRow(
                test.ClassNames[test.Labels[i]],
                encoded.Originals[(i * size)..((i + 1) * size)],
                encoded.Reconstructions[(i * size)..((i + 1) * size)],
                WordSummary.MostFrequent(Words(trained, encoded.TokenIds[i]), trained.Recipe.GridSize)))
            .ToList();
        ReconstructionSheet.Save(path, rows, test.Channels, test.Height, test.Width,
            $"{trained.Recipe.Name}: original | reconstruction | most frequent words of {trained.Recipe.TokensPerImage} (ties: nearest the middle)");
    }

    /// <summary>Two labelled examples per class, then ten queries.</summary>
    private static string Prompt(TrainedModel trained, ImageDataset test, EncodedSet encoded)
    {
        (IReadOnlyList<string>, string) Item(int i) => (Words(trained, encoded.TokenIds[i]), test.ClassNames[test.Labels[i]]);
        var examples = Enumerable.Range(0, test.ClassNames.Count)
            .SelectMany(c => Enumerable.Range(0, test.Count).Where(i => test.Labels[i] == c).Take(2)).Order().Select(Item).ToList();
        var queries = Enumerable.Range(0, test.ClassNames.Count)
            .Select(c => Enumerable.Range(0, test.Count).Where(i => test.Labels[i] == c).Skip(2).First()).Select(Item).ToList();
        return FewShotPrompt.Build(trained.Recipe.Name, examples, queries, trained.Recipe.GridSize, trained.Recipe.CoarseTokens);
    }
}
