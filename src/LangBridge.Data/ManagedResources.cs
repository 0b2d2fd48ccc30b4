using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace LangBridge.Data;

/// <summary>
/// Reads the embedded (manifest) resources of a .NET assembly with System.Reflection.Metadata, without
/// loading the assembly: each resource is a 4-byte little-endian length and its bytes, at its offset
/// inside the CLI header's resources directory.
/// </summary>
public static class ManagedResources
{
    /// <summary>Names of the embedded resources of <paramref name="assemblyPath"/>.</summary>
    public static IReadOnlyList<string> Names(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = Metadata(pe, assemblyPath);
        return md.ManifestResources.Select(h => md.GetString(md.GetManifestResource(h).Name)).ToArray();
    }

    /// <summary>The bytes of resource <paramref name="name"/>; throws <see cref="DataFormatException"/> when it is absent or truncated.</summary>
    public static byte[] Read(string assemblyPath, string name)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream, PEStreamOptions.PrefetchEntireImage);
        var md = Metadata(pe, assemblyPath);
        foreach (var h in md.ManifestResources)
        {
            var res = md.GetManifestResource(h);
            if (md.GetString(res.Name) != name) continue;
            if (!res.Implementation.IsNil)
                throw new DataFormatException(assemblyPath, $"embedded resource {name}", "a resource in another file");
            var dir = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            if (!pe.PEHeaders.TryGetDirectoryOffset(dir, out int dirOffset))
                throw new DataFormatException(assemblyPath, "a resources directory", "none");
            var image = pe.GetEntireImage().GetContent();
            long at = dirOffset + res.Offset;
            if (at + 4 > image.Length) throw new DataFormatException(assemblyPath, $"resource {name} inside the file", "an offset past the end");
            int length = BitConverter.ToInt32(image.AsSpan((int)at, 4));
            if (length < 0 || at + 4 + length > image.Length || res.Offset + 4 + length > dir.Size)
                throw new DataFormatException(assemblyPath, $"resource {name} inside the file", $"{length} bytes that do not fit");
            return image.AsSpan((int)at + 4, length).ToArray();
        }
        throw new DataFormatException(assemblyPath, $"embedded resource {name}", $"only: {string.Join(", ", Names(assemblyPath))}");
    }

    private static MetadataReader Metadata(PEReader pe, string path) =>
        pe.HasMetadata ? pe.GetMetadataReader() : throw new DataFormatException(path, "a .NET assembly", "no CLI metadata");
}
