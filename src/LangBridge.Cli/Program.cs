using System.CommandLine;
using LangBridge.Cli.Commands;

// `langbridge`: one subcommand per pipeline step; the Cake tasks call these.
var root = new RootCommand("LangBridge: images into the language of frozen language models — data, training, ONNX export, parity.");
root.Subcommands.Add(DataCommands.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(VerifyCommand.Create());
root.Subcommands.Add(GoldenCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(EncodeCommand.Create());
root.Subcommands.Add(DecodeCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(PretrainedCommand.Create());
return await root.Parse(args).InvokeAsync();
