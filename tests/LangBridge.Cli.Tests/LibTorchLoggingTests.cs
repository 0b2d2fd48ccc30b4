using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace LangBridge.Cli.Tests;

/// <summary>
/// libtorch's C++ warnings (NNPACK's "Unsupported hardware" among them) go through c10's logger; the CLI
/// raises its threshold at start-up. NNPACK warns only on some CPUs, so this uses a warning libtorch
/// prints everywhere (std() of one value) and watches the process's real standard error (file descriptor 2).
/// </summary>
public sealed class LibTorchLoggingTests
{
    private const string Warning = "degrees of freedom is <= 0";

    [Fact]
    public void The_cli_start_up_setting_silences_libtorch_warnings_on_stderr()
    {
        if (!OperatingSystem.IsLinux()) return; // fd redirection below is POSIX; CI runs Linux
        using var one = tensor(new[] { 1f });    // loads libtorch
        var before = LibTorchLogging.Level;
        Assert.NotNull(before);
        try
        {
            Assert.True(LibTorchLogging.TrySetLevel(1)); // libtorch's default: WARNING
            var loud = NativeStderr.Capture(() => one.std().Dispose());
            Assert.Contains(Warning, loud); // without the setting the warning reaches stderr

            Assert.Null(LibTorchLogging.Parse(Environment.GetEnvironmentVariable(LibTorchLogging.Variable)));
            Assert.True(LibTorchLogging.Apply());
            var quiet = NativeStderr.Capture(() => one.std().Dispose());

            Assert.Equal(LibTorchLogging.Error, LibTorchLogging.Level);
            Assert.DoesNotContain(Warning, quiet);
        }
        finally
        {
            LibTorchLogging.TrySetLevel(before!.Value);
        }
    }

    [Theory]
    [InlineData(null, "ERROR")]
    [InlineData("WARNING", "WARNING")]
    public void The_cli_sets_the_level_at_start_up(string? variable, string shown)
    {
        var environment = variable is null ? new Dictionary<string, string>() : new() { [LibTorchLogging.Variable] = variable };

        var result = LangBridgeCli.Run(Path.GetTempPath(), environment, "info");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.OutputLines, l => l.Contains("libtorch log level") && l.Contains(shown));
    }

    [Theory]
    [InlineData("warning", 1)]
    [InlineData(" INFO ", 0)]
    [InlineData("3", 3)]
    [InlineData("loud", null)]
    [InlineData(null, null)]
    public void The_variable_takes_c10s_own_values(string? value, int? level) => Assert.Equal(level, LibTorchLogging.Parse(value));

    /// <summary>What native code writes to file descriptor 2 while <paramref name="action"/> runs.</summary>
    private static class NativeStderr
    {
        [DllImport("libc", SetLastError = true)] private static extern int dup(int fd);
        [DllImport("libc", SetLastError = true)] private static extern int dup2(int from, int to);
        [DllImport("libc", SetLastError = true)] private static extern int close(int fd);

        public static string Capture(Action action)
        {
            var path = Path.GetTempFileName();
            try
            {
                using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
                {
                    var saved = dup(2);
                    Assert.True(saved >= 0);
                    dup2((int)file.SafeFileHandle.DangerousGetHandle(), 2);
                    try
                    {
                        action();
                    }
                    finally
                    {
                        dup2(saved, 2);
                        close(saved);
                    }
                }

                return File.ReadAllText(path);
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
