using System.CommandLine;
using LangBridge.Data;
using LangBridge.Onnx.Graph;
using LangBridge.Training;
using LangBridge.Training.Lqae;
using LangBridge.Training.Recipes;
using Spectre.Console;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge verify`: parity of the exported bundle against the TorchSharp model.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var recipeOption = CommonOptions.Recipe();
        var dataRoot = CommonOptions.DataRoot();
        var images = new Option<int>("--images") { Description = "Test images to compare on.", DefaultValueFactory = _ => 1000 };
        var command = new Command("verify",
            "Check the exported bundle against the TorchSharp model on test images: every graph under ONNX Runtime with optimisations " +
            "disabled and fully enabled (fp32: atol 1e-5, rtol 1e-4; token ids exact, near-ties reported), and the end-to-end token ids. " +
            "Re-exports the graphs from the checkpoint to compare, and checks they are byte-identical to the bundle's. " +
            "Writes <bundle>/parity.json; exits 1 on any failure.");
        command.Options.Add(recipeOption);
        command.Options.Add(dataRoot);
        command.Options.Add(images);
        command.SetAction((parse, ct) => CommandErrors.Guard(() =>
        {
            using var trained = TrainedModel.Load(parse.GetValue(recipeOption)!);
            var bundle = trained.Run.BundleDir;
            if (!File.Exists(Path.Combine(bundle, "manifest.json")))
                throw new FileNotFoundException($"no bundle at {bundle}: run `langbridge export` first");
            var test = RecipeData.LoadImages(trained.Recipe, DataLayout.Resolve(parse.GetValue(dataRoot)), DataSplit.Test);
            int count = Math.Min(parse.GetValue(images), test.Count);
            using var tensors = ImageTensors.Normalised(test.Slice(0, count), trained.Recipe.Data);

            // The graphs under test are the bundle's own files: a fresh export from the checkpoint must reproduce them byte for byte.
            var manifest = LangBridge.Runtime.ModelBundle.Load(bundle).Manifest;
            var scratch = Directory.CreateTempSubdirectory("langbridge-verify-").FullName;
            try
            {
                var export = LqaeBundleExporter.Export(trained.Model, trained.Codebook.Words, scratch, manifest.Opset, ExportCommand.Producer);
                foreach (var file in new[] { LqaeBundleExporter.EncoderFile, LqaeBundleExporter.QuantizerFile, LqaeBundleExporter.DecoderFile })
                    if (!File.ReadAllBytes(Path.Combine(bundle, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(scratch, file))))
                        throw new CheckFailedException($"{file} in {bundle} is not what the checkpoint exports; re-run `langbridge export`");

                var report = LqaeVerifier.Verify(trained.Model, export, tensors, log: line => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]"));
                var path = Path.Combine(bundle, "parity.json");
                AtomicFile.WriteAllText(path, report.ToJson());
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

    private static void Print(LqaeParityReport report)
    {
        var table = new Table().AddColumn("graph").AddColumn("output").AddColumn("runs").AddColumn("max abs").AddColumn("max rel").AddColumn("mismatches").AddColumn("near-ties").AddColumn("passed");
        foreach (var (graph, r) in report.Graphs)
            foreach (var output in r.Results.SelectMany(x => x.Outputs).GroupBy(o => o.Name))
                table.AddRow(graph, output.Key, output.Count().ToString(),
                    output.Max(o => o.MaxAbsError ?? 0).ToString("g3"), output.Max(o => o.MaxRelError ?? 0).ToString("g3"),
                    output.Sum(o => o.Mismatches ?? 0).ToString(), output.Sum(o => o.NearTies ?? 0).ToString(),
                    output.All(o => o.Passed) ? "[green]yes[/]" : "[red]no[/]");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Token ids: {report.TokenMatchRate:P4} of {report.Tokens} match ({report.NearTies} near-ties, {report.TokenMismatches} mismatches). " +
                               (report.Passed ? "[green]PASSED[/]" : "[red]FAILED[/]"));
    }
}

/// <summary>A check the user asked for failed (reported as one line, exit code 1).</summary>
internal sealed class CheckFailedException(string message) : Exception(message);
