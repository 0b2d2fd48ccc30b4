using System.CommandLine;
using LangBridge.Onnx.Graph;
using LangBridge.Training.Lqae;
using Spectre.Console;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge export`: writes the ONNX bundle of a trained model.</summary>
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
        var output = new Option<string?>("--output", "-o") { Description = "Bundle folder (default: artifacts/bundles/<name>)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint to export (default: the recipe's last, artifacts/checkpoints/<name>/last.lbck)." };
        var vocabulary = new Option<string?>("--vocabulary")
        {
            Description = "Vocabulary file; the codebook vectors then come from the checkpoint, so no data cache is needed (e.g. models/lqae-reference.vocab.txt).",
        };
        var command = new Command("export",
            "Export a trained model to an ONNX bundle: encoder.onnx, quantizer.onnx, decoder.onnx, vocab.txt and a manifest.json " +
            "with every file's SHA-256 (see docs/bundle-format.md).");
        command.Options.Add(recipeOption);
        command.Options.Add(opset);
        command.Options.Add(output);
        command.Options.Add(checkpoint);
        command.Options.Add(vocabulary);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            using var trained = TrainedModel.Load(parse.GetValue(recipeOption)!, parse.GetValue(checkpoint), parse.GetValue(vocabulary));
            var folder = parse.GetValue(output) ?? trained.Run.BundleDir;
            var export = LqaeBundleExporter.Export(trained.Model, trained.Codebook.Words, folder, parse.GetValue(opset), Producer);
            var table = new Table().AddColumn("file").AddColumn(new TableColumn("bytes").RightAligned()).AddColumn("sha256");
            foreach (var f in export.Manifest.Files) table.AddRow(f.Path, f.Bytes.ToString("N0"), f.Sha256[..16] + "…");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Bundle: {Markup.Escape(folder)} (opset {export.Manifest.Opset}, IR {export.Manifest.IrVersion})");
            return 0;
        }));
        return command;
    }

    internal static string Producer => $"langbridge {typeof(ExportCommand).Assembly.GetName().Version?.ToString(3)}";
}
