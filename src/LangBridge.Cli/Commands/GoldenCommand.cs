using System.CommandLine;
using LangBridge.Data;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Golden;
using LangBridge.Training.Kinds;
using Spectre.Console;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge golden`: recomputes the golden outputs the tests compare against from a committed reference
/// checkpoint (with --retrain, from a freshly trained one), prints every change, and writes changed files
/// only with --accept: golden files are regenerated on purpose, never to make a test pass.
/// </summary>
internal static class GoldenCommand
{
    public const string GoldenDir = "tests/LangBridge.Training.Tests/Golden";

    public static Command Create()
    {
        var recipeOption = new Option<string>("--recipe")
        {
            Description = "Reference recipe; its checkpoint lives beside it as <name>.lbck (and its vocabulary as <name>.vocab.txt).",
            DefaultValueFactory = _ => "models/lqae-reference.json",
        };
        var retrain = new Option<bool>("--retrain") { Description = "Retrain the reference checkpoint from the recipe first (needs the Data cache); kept only with --accept." };
        var accept = new Option<bool>("--accept") { Description = "Write the changed golden file (and, with --retrain, the new checkpoint). Without it, changes are printed and the exit code is 1." };
        var renderer = new Option<bool>("--renderer")
        {
            Description = $"Recompute the text renderer's golden PNGs ({RendererGolden.GoldenDir}, drawn with the data cache's GNU Unifont) instead of a model's outputs.",
        };
        var goldenDir = new Option<string>("--golden-dir") { Description = $"Folder of the golden files and fixtures (default {GoldenDir}; with --renderer, {RendererGolden.GoldenDir})." };
        var dataRoot = CommonOptions.DataRoot();
        var command = new Command("golden",
            $"Recompute the golden outputs ({GoldenDir}) from the committed reference checkpoint and print every change against the " +
            "committed golden file; --accept writes them.");
        command.Options.Add(recipeOption);
        command.Options.Add(retrain);
        command.Options.Add(accept);
        command.Options.Add(renderer);
        command.Options.Add(goldenDir);
        command.Options.Add(dataRoot);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            if (parse.GetValue(renderer))
                return Renderer(Path.Combine(CliPaths.RepositoryRoot, parse.GetValue(goldenDir) ?? RendererGolden.GoldenDir),
                    DataLayout.Resolve(parse.GetValue(dataRoot)), parse.GetValue(accept));
            var recipePath = CliPaths.Recipe(parse.GetValue(recipeOption)!);
            var recipe = RecipeModel.LoadRecipe(recipePath);
            var committed = Path.ChangeExtension(recipePath, ".lbck");
            var vocabulary = Path.ChangeExtension(recipePath, ".vocab.txt");
            var dir = Path.Combine(CliPaths.RepositoryRoot, parse.GetValue(goldenDir) ?? GoldenDir);
            Directory.CreateDirectory(dir);

            var scratch = Directory.CreateTempSubdirectory("langbridge-golden-").FullName;
            try
            {
                string checkpoint = committed, words = vocabulary;
                if (parse.GetValue(retrain) || !File.Exists(committed))
                    (checkpoint, words) = Retrain(recipePath, recipe, parse.GetValue(dataRoot), scratch, ct);

                // A vocabulary file (LQAE) stands in for the data cache; kinds without one read the cache.
                using var model = RecipeModel.Load(recipePath, checkpoint, File.Exists(words) ? words : null, parse.GetValue(dataRoot));
                var golden = model.Model.Golden(model.Context, dir, checkpoint)
                    ?? throw new CheckFailedException($"model kind '{recipe.Kind}' has no golden outputs");
                var goldenPath = Path.Combine(dir, golden.FileName);
                var changes = File.Exists(goldenPath) ? golden.Compare(GoldenOutputs.Load(goldenPath)) : ["no golden file yet"];
                var newCheckpoint = checkpoint != committed;
                if (changes.Count == 0 && !newCheckpoint)
                {
                    AnsiConsole.MarkupLine($"Golden outputs unchanged: {Markup.Escape(goldenPath)}");
                    return 0;
                }
                foreach (var change in changes) AnsiConsole.MarkupLine($"[yellow]changed[/] {Markup.Escape(change)}");
                if (!parse.GetValue(accept))
                {
                    Console.Error.WriteLine($"golden outputs differ from {goldenPath}; nothing was written. Find the cause, or rerun with --accept to write them.");
                    return 1;
                }
                if (newCheckpoint)
                {
                    File.Copy(checkpoint, committed, overwrite: true);
                    if (File.Exists(words)) File.Copy(words, vocabulary, overwrite: true);
                    AnsiConsole.MarkupLine($"Reference checkpoint: {Markup.Escape(committed)} ({new FileInfo(committed).Length:N0} bytes)");
                    // The golden file names the checkpoint by its hash: recompute it against the committed copy.
                    golden = model.Model.Golden(model.Context, dir, committed)!;
                }
                golden.Outputs.Save(goldenPath);
                AnsiConsole.MarkupLine($"Golden outputs written: {Markup.Escape(goldenPath)}");
                return 0;
            }
            finally
            {
                Directory.Delete(scratch, recursive: true);
            }
        }));
        return command;
    }

    /// <summary>The renderer's golden PNGs: prints what changed; writes only with --accept.</summary>
    private static int Renderer(string dir, DataLayout layout, bool accept)
    {
        if (!File.Exists(layout.UnifontHex))
            throw new DataException($"GNU Unifont is not in the data cache ({layout.UnifontHex}): run `langbridge data fetch --only unifont`");
        var (changes, write) = RendererGolden.Compute(dir, layout.UnifontHex);
        if (changes.Count == 0)
        {
            AnsiConsole.MarkupLine($"Renderer golden PNGs unchanged: {Markup.Escape(dir)}");
            return 0;
        }
        foreach (var change in changes) AnsiConsole.MarkupLine($"[yellow]changed[/] {Markup.Escape(change)}");
        if (!accept)
        {
            Console.Error.WriteLine($"renderer golden PNGs differ from {dir}; nothing was written. Find the cause, or rerun with --accept to write them.");
            return 1;
        }
        write();
        AnsiConsole.MarkupLine($"Renderer golden PNGs written: {Markup.Escape(dir)}");
        return 0;
    }

    /// <summary>Trains the reference recipe and keeps only its weights (no optimiser state) and vocabulary, in <paramref name="scratch"/>.</summary>
    private static (string Checkpoint, string Vocabulary) Retrain(string recipePath, IModelRecipe recipe, string? dataRoot, string scratch, CancellationToken ct)
    {
        var run = CliPaths.Run(recipe);
        TrainCommand.Train(recipe, dataRoot, run, resume: false, threads: 0, ct);
        using var model = RecipeModel.Load(recipePath, run.Checkpoint, dataRoot: dataRoot);
        var checkpoint = Path.Combine(scratch, recipe.Name + ".lbck");
        CheckpointStore.Save(checkpoint, model.Model.Module, null, model.Model.Identity.Header(model.Model.TrainingPlan.TotalSteps, hasOptimizer: false));
        var vocabulary = Path.Combine(scratch, recipe.Name + ".vocab.txt");
        if (model.Model.ReferenceVocabulary is { } words) File.WriteAllLines(vocabulary, words);
        return (checkpoint, vocabulary);
    }
}
