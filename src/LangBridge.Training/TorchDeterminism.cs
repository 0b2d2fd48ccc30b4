using System.Runtime.InteropServices;

namespace LangBridge.Training;

/// <summary>
/// Keeps multi-threaded training reproducible on a busy machine. libtorch's CPU build carries Intel MKL,
/// whose dynamic threading (MKL_DYNAMIC, on by default) may run a BLAS call on fewer threads than asked
/// when the machine is loaded; the sums then split differently and the weights drift from run to run.
/// Measured here: two 2-thread runs of the same 80-step LQAE recipe side by side gave different weights,
/// and identical ones with MKL_DYNAMIC=FALSE. Call <see cref="Apply"/> before the first TorchSharp call.
/// </summary>
public static class TorchDeterminism
{
    public const string Variable = "MKL_DYNAMIC";

    /// <summary>Sets <c>MKL_DYNAMIC=FALSE</c> in the native environment MKL reads, unless the user set it already.</summary>
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not null) return;
        // .NET on Unix keeps its own copy of the environment: native getenv (what MKL calls) needs setenv.
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) _ = setenv(Variable, "FALSE", 0);
        Environment.SetEnvironmentVariable(Variable, "FALSE");
    }

    /// <summary>The value native code sees (null when unset).</summary>
    public static string? NativeValue() =>
        OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? Marshal.PtrToStringUTF8(getenv(Variable)) : Environment.GetEnvironmentVariable(Variable);

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
