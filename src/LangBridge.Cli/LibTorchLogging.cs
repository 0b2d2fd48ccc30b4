using System.Runtime.InteropServices;

namespace LangBridge.Cli;

/// <summary>
/// Keeps libtorch's C++ log lines (such as "Could not initialize NNPACK! Reason: Unsupported hardware.",
/// printed on CPUs NNPACK does not support) out of the user's terminal.
/// </summary>
/// <remarks>
/// libtorch's c10 logger drops messages below the threshold in its exported global
/// <c>FLAGS_caffe2_log_level</c> (0 INFO, 1 WARNING — the default —, 2 ERROR, 3 FATAL). Setting
/// <c>TORCH_CPP_LOG_LEVEL</c> is not enough from .NET: only PyTorch's Python module reads that variable
/// (in <c>c10::initLogging</c>); TorchSharp never does, and on Linux <c>Environment.SetEnvironmentVariable</c>
/// does not reach the native environment anyway. So the CLI loads libc10 (TorchSharp's own copy,
/// which TorchSharp's libraries then share) and writes the threshold itself: ERROR, or what
/// <c>TORCH_CPP_LOG_LEVEL</c> says, so <c>TORCH_CPP_LOG_LEVEL=WARNING</c> brings libtorch's warnings back.
/// </remarks>
internal static class LibTorchLogging
{
    public const string Variable = "TORCH_CPP_LOG_LEVEL";
    public const int Error = 2;
    private const string LevelSymbol = "FLAGS_caffe2_log_level";

    /// <summary>Sets the threshold from <see cref="Variable"/> (default ERROR); false if libc10 cannot be found.</summary>
    public static bool Apply() => TrySetLevel(Parse(Environment.GetEnvironmentVariable(Variable)) ?? Error);

    /// <summary>libtorch's current threshold, or null if libc10 cannot be found.</summary>
    public static int? Level => LevelAddress() is { } address ? Marshal.ReadInt32(address) : null;

    public static bool TrySetLevel(int level)
    {
        if (LevelAddress() is not { } address) return false;
        Marshal.WriteInt32(address, level);
        return true;
    }

    /// <summary>The threshold in words, for `langbridge info`.</summary>
    public static string Describe() => Level switch
    {
        null => "unknown (libc10 not found)",
        var level => $"{Names.ElementAtOrDefault(level.Value) ?? level.ToString()} (set {Variable} to change)",
    };

    private static readonly string[] Names = ["INFO", "WARNING", "ERROR", "FATAL"];

    /// <summary>The values c10 itself accepts for <see cref="Variable"/>; null for unset or unknown.</summary>
    internal static int? Parse(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        "0" or "INFO" => 0,
        "1" or "WARNING" => 1,
        "2" or "ERROR" => 2,
        "3" or "FATAL" => 3,
        _ => null,
    };

    private static nint? LevelAddress()
    {
        // Probed like TorchSharp probes its natives (the app's runtimes/<rid>/native folder); loading c10
        // alone is cheap and does not start libtorch.
        var torchSharp = typeof(TorchSharp.torch).Assembly;
        foreach (var name in new[] { "c10", "libc10" })
        {
            if (NativeLibrary.TryLoad(name, torchSharp, DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories, out var library)
                && NativeLibrary.TryGetExport(library, LevelSymbol, out var address))
            {
                return address;
            }
        }

        return null;
    }
}
