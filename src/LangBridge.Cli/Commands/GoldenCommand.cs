using System.CommandLine;
using LangBridge.Data;
using LangBridge.Training.Checkpoints;
using LangBridge.Training.Golden;
using LangBridge.Training.Lqae;
using LangBridge.Training.Recipes;
using Spectre.Console;
using static TorchSharp.torch;

namespace LangBridge.Cli.Commands;

/// <summary>
/// `langbridge golden`: regenerates the golden outputs the tests compare against, from the committed
/// reference checkpoint (and, with --retrain, retrains that checkpoint first). Prints what changed.
/// </summary>
internal static class GoldenCommand
{
    public const string GoldenDir = "tests/LangBridge.Training.Tests/Golden";
    public const int FixtureCount = 32;

    public static Command Create()
    {
        var recipeOption = new Option<string>("--recipe")
        {
            Description = "Reference recipe; its checkpoint lives beside it as <name>.lbck.",
            DefaultValueFactory = _ => "models/lqae-reference.json",
        };
        var retrain = new Option<bool>("--retrain") { Description = "Retrain the reference checkpoint from the recipe first (needs the Data cache)." };
        var dataRoot = CommonOptions.DataRoot();
        var command = new Command("golden",
            $"Regenerate the golden outputs ({GoldenDir}) from the committed reference checkpoint: ONNX Runtime outputs of the exported " +
            $"graphs on {FixtureCount} fixture images. Prints every change against the previous golden file.");
        command.Options.Add(recipeOption);
        command.Options.Add(retrain);
        command.Options.Add(dataRoot);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var recipePath = CliPaths.Recipe(parse.GetValue(recipeOption)!);
            var recipe = LqaeRecipe.Load(recipePath);
            var checkpoint = Path.ChangeExtension(recipePath, ".lbck");
            var dir = Path.Combine(CliPaths.RepositoryRoot, GoldenDir);
            Directory.CreateDirectory(dir);
            var fixtures = Path.Combine(dir, "fixtures-images-idx3-ubyte");
            var labels = Path.Combine(dir, "fixtures-labels-idx1-ubyte");
            var goldenPath = Path.Combine(dir, $"{recipe.Name}.golden.safetensors");

            if (parse.GetValue(retrain) || !File.Exists(checkpoint))
                Retrain(recipe, DataLayout.Resolve(parse.GetValue(dataRoot)), checkpoint, ct);
            if (!File.Exists(fixtures))
                WriteFixtures(DataLayout.Resolve(parse.GetValue(dataRoot)), fixtures, labels);

            var images = FashionMnist.ReadSplit(fixtures, labels, FashionMnist.ClassNames);
            using var codebook = zeros(recipe.Codebook.Size, recipe.Codebook.Dimension);   // replaced by the checkpoint's
            using var model = LqaeModel.FromCheckpoint(recipe, codebook, checkpoint);
            var golden = LqaeGolden.Compute(model, images, checkpoint, fixtures);
            if (File.Exists(goldenPath))
            {
                var changes = LqaeGolden.Compare(GoldenOutputs.Load(goldenPath), golden);
                if (changes.Count == 0) AnsiConsole.MarkupLine("Golden outputs unchanged.");
                foreach (var change in changes) AnsiConsole.MarkupLine($"[yellow]changed[/] {Markup.Escape(change)}");
            }
            else
            {
                AnsiConsole.MarkupLine("No previous golden file: writing the first one.");
            }
            golden.Save(goldenPath);
            AnsiConsole.MarkupLine($"Golden outputs: {Markup.Escape(goldenPath)} ({golden.Images} images × {golden.TokensPerImage} tokens)");
            return 0;
        }));
        return command;
    }

    private static void Retrain(LqaeRecipe recipe, DataLayout layout, string checkpoint, CancellationToken ct)
    {
        var run = CliPaths.Run(recipe);
        TrainCommand.Train(recipe, layout, run, resume: false, threads: 0, ct);
        // The committed reference keeps only the weights (and its codebook buffers), not the optimiser state.
        var codebook = RecipeData.LoadCodebook(recipe, CliPaths.RepositoryRoot);
        using var codebookTensor = tensor(codebook.Vectors).view(codebook.Count, codebook.Dimension);
        using var model = LqaeModel.FromCheckpoint(recipe, codebookTensor, run.Checkpoint);
        CheckpointStore.Save(checkpoint, model, null, new CheckpointHeader(CheckpointStore.FormatVersion, "lqae", recipe.Sha256, recipe.Training.TotalSteps, false));
        File.WriteAllLines(Path.ChangeExtension(checkpoint, ".vocab.txt"), codebook.Words);
        AnsiConsole.MarkupLine($"Reference checkpoint: {Markup.Escape(checkpoint)} ({new FileInfo(checkpoint).Length:N0} bytes)");
    }

    /// <summary>The first <see cref="FixtureCount"/> test images, as IDX files.</summary>
    private static void WriteFixtures(DataLayout layout, string images, string labels)
    {
        var test = FashionMnist.Load(layout, DataSplit.Test).Slice(0, FixtureCount);
        using (var f = File.Create(images)) IdxReader.Write(f, [test.Count, test.Height, test.Width], test.Pixels);
        using (var f = File.Create(labels)) IdxReader.Write(f, [test.Count], test.Labels.Select(l => (byte)l).ToArray());
    }
}
