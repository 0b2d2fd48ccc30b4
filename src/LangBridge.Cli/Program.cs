using System.CommandLine;
using LangBridge.Cli;
using LangBridge.Cli.Commands;

// Before any command can touch TorchSharp: libtorch's C++ warnings stay out of the terminal, and MKL keeps
// its thread count however busy the machine is (so a seeded run gives the same weights every time).
LibTorchLogging.Apply();
LangBridge.Training.TorchDeterminism.Apply();

// `langbridge`: one subcommand per pipeline step; the Cake tasks call these.
var verbose = new Option<bool>("--verbose")
{
    Description = "On an error, print its stack trace too (errors are otherwise one line on standard error).",
    Recursive = true,
};
var root = new RootCommand("LangBridge: images into the language of frozen language models — data, training, ONNX export, parity.");
root.Options.Add(verbose);
root.Subcommands.Add(DataCommands.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(VerifyCommand.Create());
root.Subcommands.Add(GoldenCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(EncodeCommand.Create());
root.Subcommands.Add(DecodeCommand.Create());
root.Subcommands.Add(EmbedTextCommand.Create());
root.Subcommands.Add(EmbedCommand.Create());
root.Subcommands.Add(ClassifyCommand.Create());
root.Subcommands.Add(CaptionCommand.Create());
root.Subcommands.Add(WordsCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(PretrainedCommand.Create());
var parse = root.Parse(args);
CommandErrors.Verbose = parse.GetValue(verbose);
return await parse.InvokeAsync();
