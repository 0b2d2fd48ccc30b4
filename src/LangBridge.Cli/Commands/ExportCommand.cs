using System.CommandLine;
using LangBridge.Onnx.Graph;
using LangBridge.Training.Pipeline;
using Spectre.Console;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge export`: writes the ONNX bundle of a trained model of any kind.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var recipeOption = CommonOptions.Recipe();
        var opset = new Option<int>("--opset")
        {
            Description = $"ONNX opset ({OnnxOpset.Min}–{OnnxOpset.Max}); 17 keeps every graph checkable by Debian's ONNX checker.",
            DefaultValueFactory = _ => OnnxOpset.Default,
        };
        var output = new Option<string?>("--output", "-o") { Description = "Bundle folder (default: artifacts/bundles/<name>); an existing bundle there is replaced whole." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint to export (default: the recipe's last, artifacts/checkpoints/<name>/last.lbck)." };
        var vocabulary = new Option<string?>("--vocabulary")
        {
            Description = "Vocabulary file; the codebook vectors then come from the checkpoint, so no data cache is needed (e.g. models/lqae-reference.vocab.txt).",
        };
        var command = new Command("export",
            "Export a trained model to an ONNX bundle: one .onnx file per graph of its kind (LQAE: encoder, quantizer, decoder), its " +
            "assets (vocabulary, …) and a manifest.json with every file's SHA-256 (see docs/bundle-format.md).");
        command.Options.Add(recipeOption);
        command.Options.Add(opset);
        command.Options.Add(output);
        command.Options.Add(checkpoint);
        command.Options.Add(vocabulary);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            var level = parse.GetValue(opset);
            if (level < OnnxOpset.Min || level > OnnxOpset.Max)
                throw new UsageException($"--opset {level} is outside {OnnxOpset.Min}–{OnnxOpset.Max}");
            using var trained = RecipeModel.Load(parse.GetValue(recipeOption)!, parse.GetValue(checkpoint), parse.GetValue(vocabulary));
            if (NothingToDo(trained)) return 0;
            var folder = parse.GetValue(output) ?? trained.Run.BundleDir;
            var export = BundleExporter.Export(trained.Model, folder, level, Producer);
            var table = new Table().AddColumn("file").AddColumn(new TableColumn("bytes").RightAligned()).AddColumn("sha256");
            foreach (var f in export.Manifest.Files) table.AddRow(f.Path, f.Bytes.ToString("N0"), f.Sha256[..16] + "…");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Bundle: {Markup.Escape(export.Folder)} ({trained.Recipe.Kind}, opset {export.Manifest.Opset}, IR {export.Manifest.IrVersion})");
            return 0;
        }));
        return command;
    }

    /// <summary>True (and said) when the model ships inside other bundles and has none of its own to export or verify.</summary>
    internal static bool NothingToDo(RecipeModel trained)
    {
        if (trained.Model.NoBundleReason is not { } reason) return false;
        AnsiConsole.MarkupLine($"{Markup.Escape(trained.Recipe.Name)}: nothing to do; {Markup.Escape(reason)}.");
        return true;
    }

    internal static string Producer => $"langbridge {typeof(ExportCommand).Assembly.GetName().Version?.ToString(3)}";
}
