// MSBuild inline task (RoslynCodeTaskFactory): makes the build-output copy of libLibTorchSharp.so
// loadable on systems whose libstdc++ lacks GLIBCXX_3.4.32 (Debian 12). Only byte edits of the ELF
// file, no external tools besides g++ for the shim. The patched bytes are written to a temporary
// file and renamed over the output copy, so a hard link into the NuGet cache is never written through.
using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class LangBridgePatchLibTorchSharp : Task
{
    const string MissingVersion = "GLIBCXX_3.4.32";
    const ushort VerFlagWeak = 0x2;
    const ushort VerNdxGlobal = 1;
    const long DtNull = 0, DtNeeded = 1, DtRpath = 15, DtRunpath = 29;
    const uint ShtDynamic = 6, ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;

    [Required] public string LibraryPath { get; set; }
    [Required] public string SystemLibStdCxx { get; set; }
    [Required] public string ShimSource { get; set; }
    [Required] public string ShimName { get; set; }

    public override bool Execute()
    {
        if (!File.Exists(SystemLibStdCxx))
        {
            Log.LogMessage(MessageImportance.Low, "LangBridge: " + SystemLibStdCxx + " not found; leaving libLibTorchSharp.so as shipped.");
            return true;
        }
        if (Contains(File.ReadAllBytes(SystemLibStdCxx), Encoding.ASCII.GetBytes(MissingVersion + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, "LangBridge: system libstdc++ provides " + MissingVersion + "; no patch needed.");
            return true;
        }

        string dir = Path.GetDirectoryName(Path.GetFullPath(LibraryPath));
        string shim = Path.Combine(dir, ShimName);
        if (!File.Exists(shim) && !CompileShim(shim)) return false;

        byte[] elf = File.ReadAllBytes(LibraryPath);
        string result;
        try { result = Patch(elf, ShimName); }
        catch (InvalidDataException e)
        {
            Log.LogError("LangBridge: cannot patch " + LibraryPath + ": " + e.Message);
            return false;
        }
        if (result == null)
        {
            Log.LogMessage(MessageImportance.Low, "LangBridge: " + LibraryPath + " is already patched.");
            return true;
        }
        string tmp = LibraryPath + ".patching";
        File.WriteAllBytes(tmp, elf);
        File.Delete(LibraryPath);
        File.Move(tmp, LibraryPath);
        Log.LogMessage(MessageImportance.High, "LangBridge: patched " + LibraryPath + " (" + result + ").");
        return true;
    }

    bool CompileShim(string shim)
    {
        string tmp = shim + ".tmp";
        // RoslynCodeTaskFactory compiles for netstandard2.0: no ArgumentList, so quote by hand.
        var psi = new ProcessStartInfo("g++", "-shared -fPIC -O2 -o \"" + tmp + "\" \"" + ShimSource + "\"")
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using (var p = Process.Start(psi))
            {
                string err = p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0)
                {
                    Log.LogError("LangBridge: compiling the libstdc++ shim failed: " + err);
                    return false;
                }
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Log.LogError("LangBridge: TorchSharp's native library needs " + MissingVersion + ", which this system's libstdc++ lacks. "
                + "The build fixes that with a small shim compiled by g++, and no g++ was found. "
                + "Install a C++ compiler (Debian/Ubuntu: apt-get install g++) and build again.");
            return false;
        }
        if (File.Exists(shim)) File.Delete(shim);
        File.Move(tmp, shim);
        return true;
    }

    /// <summary>Patches <paramref name="elf"/> in memory. Returns null when it was already patched.</summary>
    static string Patch(byte[] elf, string shimName)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("expected a 64-bit little-endian ELF file");

        long shoff = (long)U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        long dynsymOff = -1, dynsymSize = 0, versymOff = -1, verneedOff = -1, dynamicOff = -1, dynamicSize = 0, dynstrOff = -1;
        int verneedCount = 0;
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            uint type = U32(elf, h + 4);
            long off = (long)U64(elf, h + 0x18), size = (long)U64(elf, h + 0x20);
            uint link = U32(elf, h + 0x28), info = U32(elf, h + 0x2C);
            if (type == ShtDynsym)
            {
                dynsymOff = off; dynsymSize = size;
                dynstrOff = (long)U64(elf, shoff + (long)link * shentsize + 0x18);
            }
            else if (type == ShtGnuVersym) versymOff = off;
            else if (type == ShtGnuVerneed) { verneedOff = off; verneedCount = (int)info; }
            else if (type == ShtDynamic) { dynamicOff = off; dynamicSize = size; }
        }
        if (dynsymOff < 0 || versymOff < 0 || verneedOff < 0 || dynamicOff < 0)
            throw new InvalidDataException("missing .dynsym, .gnu.version, .gnu.version_r or .dynamic");

        // 1. The Vernaux entry for GLIBCXX_3.4.32: remember its version index, mark it weak.
        long vernaux = -1;
        long vn = verneedOff;
        for (int i = 0; i < verneedCount && vernaux < 0; i++)
        {
            int cnt = U16(elf, vn + 2);
            long aux = vn + U32(elf, vn + 8);
            for (int j = 0; j < cnt; j++)
            {
                if (Str(elf, dynstrOff + U32(elf, aux + 8)) == MissingVersion) { vernaux = aux; break; }
                aux += U32(elf, aux + 12);
            }
            vn += U32(elf, vn + 12);
        }
        int neededIndex = -1;
        for (long d = dynamicOff; d < dynamicOff + dynamicSize; d += 16)
            if ((long)U64(elf, d) == DtNeeded && Str(elf, dynstrOff + (long)U64(elf, d + 8)) == shimName) neededIndex = 0;
        if (vernaux < 0)
        {
            if (neededIndex == 0) return null;
            throw new InvalidDataException("it does not require " + MissingVersion);
        }
        ushort flags = U16(elf, vernaux + 4);
        if ((flags & VerFlagWeak) != 0 && neededIndex == 0) return null;
        ushort versionIndex = U16(elf, vernaux + 6);
        W16(elf, vernaux + 4, (ushort)(flags | VerFlagWeak));

        // 2. Clear the version of every undefined symbol that asks for it (only the ios_base marker).
        int cleared = 0;
        for (long s = 0; s < dynsymSize / 24; s++)
        {
            long vs = versymOff + s * 2;
            if ((U16(elf, vs) & 0x7fff) != versionIndex) continue;
            string name = Str(elf, dynstrOff + U32(elf, dynsymOff + s * 24));
            if (name != "_ZSt21ios_base_library_initv")
                throw new InvalidDataException("symbol " + name + " also needs " + MissingVersion + "; the shim does not provide it");
            W16(elf, vs, VerNdxGlobal);
            cleared++;
        }

        // 3. Add DT_NEEDED for the shim. The new name takes the place of the RUNPATH's build-machine
        //    tail (RUNPATH becomes "$ORIGIN", where the shim and libtorch live); the entry takes a
        //    spare DT_NULL slot, keeping one DT_NULL as terminator.
        long runpathEntry = -1, firstNull = -1;
        int entries = (int)(dynamicSize / 16);
        for (int i = 0; i < entries; i++)
        {
            long d = dynamicOff + i * 16L, tag = (long)U64(elf, d);
            if (tag == DtRunpath || tag == DtRpath) runpathEntry = d;
            if (tag == DtNull) { firstNull = d; break; }
        }
        if (runpathEntry < 0) throw new InvalidDataException("no RUNPATH to host the shim's name");
        if (firstNull < 0 || firstNull + 16 >= dynamicOff + dynamicSize || U64(elf, firstNull + 16) != 0)
            throw new InvalidDataException("no spare .dynamic slot for DT_NEEDED");
        long runpathStr = dynstrOff + (long)U64(elf, runpathEntry + 8);
        int runpathLen = Str(elf, runpathStr).Length;
        byte[] origin = Encoding.ASCII.GetBytes("$ORIGIN\0");
        byte[] name2 = Encoding.ASCII.GetBytes(shimName + "\0");
        if (origin.Length + name2.Length > runpathLen + 1) throw new InvalidDataException("RUNPATH too short to host the shim's name");
        Array.Copy(origin, 0, elf, runpathStr, origin.Length);
        Array.Copy(name2, 0, elf, runpathStr + origin.Length, name2.Length);
        W64(elf, firstNull, DtNeeded);
        W64(elf, firstNull + 8, (ulong)(U64(elf, runpathEntry + 8) + (ulong)origin.Length));

        return MissingVersion + " marked weak, " + cleared + " symbol version(s) cleared, DT_NEEDED " + shimName + " added";
    }

    static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    static ushort U16(byte[] b, long o) => BitConverter.ToUInt16(b, (int)o);
    static uint U32(byte[] b, long o) => BitConverter.ToUInt32(b, (int)o);
    static ulong U64(byte[] b, long o) => BitConverter.ToUInt64(b, (int)o);
    static void W16(byte[] b, long o, ushort v) => BitConverter.GetBytes(v).CopyTo(b, (int)o);
    static void W64(byte[] b, long o, ulong v) => BitConverter.GetBytes(v).CopyTo(b, (int)o);

    static string Str(byte[] b, long o)
    {
        int end = (int)o;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)o, end - (int)o);
    }
}
