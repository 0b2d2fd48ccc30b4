using System.CommandLine;
using Spectre.Console;
using TorchSharp;

namespace LangBridge.Cli.Commands;

/// <summary>`langbridge info`: versions and whether the native backends load on this machine.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show versions and check that TorchSharp's native backend loads.");
        command.SetAction(_ =>
        {
            var table = new Table().AddColumn("component").AddColumn("status");
            table.AddRow("langbridge", typeof(InfoCommand).Assembly.GetName().Version?.ToString() ?? "?");
            table.AddRow(".NET", Environment.Version.ToString());
            try
            {
                using var scope = torch.NewDisposeScope();
                var x = torch.ones(2, 2);                       // (2, 2)
                var sum = x.matmul(x).sum().item<float>();      // 8
                table.AddRow("TorchSharp", $"{torch.__version__} loads (check {sum})");
                table.AddRow("libtorch log level", LibTorchLogging.Describe());
            }
            catch (Exception e)
            {
                table.AddRow("TorchSharp", $"[red]failed[/]: {Markup.Escape(e.GetBaseException().Message.Split('\n')[0])}");
                AnsiConsole.Write(table);
                return 1;
            }
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
