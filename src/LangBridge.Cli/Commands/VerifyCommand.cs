using System.CommandLine;
using LangBridge.Training.Pipeline;
using Spectre.Console;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge verify`: parity of the exported bundle against the TorchSharp model, for any kind.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var recipeOption = CommonOptions.Recipe();
        var dataRoot = CommonOptions.DataRoot();
        var images = new Option<int>("--images") { Description = "Held-out examples to compare on.", DefaultValueFactory = _ => 1000 };
        var command = new Command("verify",
            "Check the exported bundle against the TorchSharp model on held-out examples: every graph under ONNX Runtime with optimisations " +
            "disabled and fully enabled (fp32: atol 1e-5, rtol 1e-4; ids exact, near-ties reported), and the kind's end-to-end checks " +
            "(LQAE: token ids). Re-exports the graphs from the checkpoint to compare, and checks they are byte-identical to the bundle's. " +
            "Writes <bundle>/parity.json; exits 1 on any failure.");
        command.Options.Add(recipeOption);
        command.Options.Add(dataRoot);
        command.Options.Add(images);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            if (parse.GetValue(images) < 1) throw new UsageException($"--images must be at least 1, got {parse.GetValue(images)}");
            using var trained = RecipeModel.Load(parse.GetValue(recipeOption)!, dataRoot: parse.GetValue(dataRoot));
            if (ExportCommand.NothingToDo(trained)) return 0;
            var bundle = trained.Run.BundleDir;
            if (!File.Exists(Path.Combine(bundle, LangBridge.Runtime.ManifestJson.FileName)))
                throw new CheckFailedException($"no bundle at {bundle}: run `langbridge export` first");
            var manifest = LangBridge.Runtime.ModelBundle.Load(bundle).Manifest;

            // The graphs under test are the bundle's own files: a fresh export from the checkpoint must reproduce them byte for byte.
            var scratch = Directory.CreateTempSubdirectory("langbridge-verify-").FullName;
            try
            {
                var export = BundleExporter.Export(trained.Model, Path.Combine(scratch, "bundle"), manifest.Opset, ExportCommand.Producer);
                foreach (var file in export.Manifest.Graphs.Values.Select(g => g.File))
                    if (!File.ReadAllBytes(Path.Combine(bundle, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(export.Folder, file))))
                        throw new CheckFailedException($"{file} in {bundle} is not what the checkpoint exports; re-run `langbridge export`");

                var plan = trained.Model.PlanVerification(trained.Context, parse.GetValue(images));
                var report = BundleVerifier.Verify(trained.Model, export, plan, trained.Context.Log);
                var path = BundleVerifier.WriteReport(bundle, report);
                Print(report);
                AnsiConsole.MarkupLine($"Parity report: {Markup.Escape(path)}");
                return report.Passed ? 0 : 1;
            }
            finally
            {
                Directory.Delete(scratch, recursive: true);
            }
        }));
        return command;
    }

    private static void Print(BundleParityReport report)
    {
        var table = new Table().AddColumn("graph").AddColumn("output").AddColumn("runs").AddColumn("max abs").AddColumn("max rel").AddColumn("mismatches").AddColumn("near-ties").AddColumn("passed");
        foreach (var (graph, r) in report.Graphs)
            foreach (var output in r.Results.SelectMany(x => x.Outputs).GroupBy(o => o.Name))
                table.AddRow(graph, output.Key, output.Count().ToString(),
                    output.Max(o => o.MaxAbsError ?? 0).ToString("g3"), output.Max(o => o.MaxRelError ?? 0).ToString("g3"),
                    output.Sum(o => o.Mismatches ?? 0).ToString(), output.Sum(o => o.NearTies ?? 0).ToString(),
                    output.All(o => o.Passed) ? "[green]yes[/]" : "[red]no[/]");
        AnsiConsole.Write(table);
        foreach (var (name, check) in report.Checks)
            AnsiConsole.MarkupLine($"{Markup.Escape(name)}: {Markup.Escape(check.Summary)} " + (check.Passed ? "[green]passed[/]" : "[red]failed[/]"));
        AnsiConsole.MarkupLine(report.Passed ? "[green]PASSED[/]" : "[red]FAILED[/]");
    }
}

/// <summary>A check the user asked for failed (reported as one line, exit code 1).</summary>
internal sealed class CheckFailedException(string message) : Exception(message);
